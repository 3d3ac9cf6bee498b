package dev.t4j.bench;

import dev.t4j.backend.Backends;
import dev.t4j.cpu.CpuBackend;
import dev.t4j.memory.Scope;
import dev.t4j.memory.Storage;
import dev.t4j.nn.Attention;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Locale;

/**
 * Causal self-attention, 12 heads of 64, at a given length and batch: forward and backward time (best of 5 after
 * at least 3 warm-up rounds and 3 s) and the memory the forward pass leaves held for backward, for the materialising path and the fused one
 * (-Dt4j.attention picks; this runs both). Arguments: threads, sequence length, batch (default 1).
 * bench/attention.sh runs it.
 */
public final class AttentionThroughput {
    private AttentionThroughput() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int t = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        Backends.setDefault(new CpuBackend(threads));
        int h = 12;
        int d = 64;
        try (Scope s = Scope.open("inputs")) {
            Tensor q = Tensor.randn(new Generator(0), batch, h, t, d).requiresGrad(true);
            Tensor k = Tensor.randn(new Generator(1), batch, h, t, d).requiresGrad(true);
            Tensor v = Tensor.randn(new Generator(2), batch, h, t, d).requiresGrad(true);
            Tensor mask = Attention.causalBias(0, t);
            for (String mode : new String[] {"materialised", "fused"}) {
                System.setProperty("t4j.attention", mode);
                double forward = Double.MAX_VALUE;
                double backward = Double.MAX_VALUE;
                long held = 0;
                // warm-up: at least 3 rounds and 3 seconds, so that the JIT has compiled the kernels of the short shapes
                long warmEnd = System.nanoTime() + 3_000_000_000L;
                int measured = 0;
                for (int round = 0; measured < 5; round++) {
                    long base = Storage.liveBytes();
                    try (Scope step = Scope.open("step")) {
                        long t0 = System.nanoTime();
                        Tensor y = Attention.scaledDotProduct(q, k, v, mask, 1 / Math.sqrt(d), null);
                        long t1 = System.nanoTime();
                        held = Storage.liveBytes() - base;
                        y.sum().backward();
                        long t2 = System.nanoTime();
                        if (round > 2 && System.nanoTime() > warmEnd) {
                            measured++;
                            forward = Math.min(forward, (t1 - t0) / 1e6);
                            backward = Math.min(backward, (t2 - t1) / 1e6);
                        }
                    }
                    q.zeroGrad();
                    k.zeroGrad();
                    v.zeroGrad();
                }
                System.out.printf(Locale.ROOT, "{\"threads\": %d, \"length\": %d, \"batch\": %d, \"path\": \"%s\", "
                        + "\"forward_ms\": %.2f, \"backward_ms\": %.2f, \"held_mb\": %.1f}%n", threads, t, batch, mode, forward, backward, held / 1e6);
            }
        }
    }
}
