package dev.t4j.bench;

import dev.t4j.backend.Backend;
import dev.t4j.gpt.GPT2Config;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.memory.Scope;
import dev.t4j.nn.Attention;
import dev.t4j.optim.AdamW;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Locale;
import java.util.Map;

/**
 * The GPU benchmarks of the CUDA issue, one JSON line per figure, on whatever backend is chosen (run it with
 * -Dt4j.backend=cuda; it refuses to time a CPU by mistake unless the backend is named in the second argument):
 * <ul>
 *   <li>{@code gemm}: square products of 2048, 4096 and 8192 in float32 and bfloat16 (float32 accumulation), TFLOP/s
 *       as the mean of 10 after 3 warm-ups;</li>
 *   <li>{@code train}: GPT-2 small (124 M) training steps, batch 8 x 512 tokens, AdamW, dropout off: tokens/s over 10
 *       steps after 3;</li>
 *   <li>{@code decode}: GPT-2 small greedy generation with the key/value cache, 32-token prompt, 64 new tokens:
 *       tokens/s after the first, best of 8;</li>
 *   <li>{@code attention}: causal attention alone, forward and backward, 4 x 12 heads of 64 at 1,024, 2,048 and
 *       4,096 tokens, through the fused kernels and materialised: ms per step, mean of 5 after 2 (where the
 *       fused path starts to pay on a GPU).</li>
 * </ul>
 * The peer is bench/peers/torch_gpu.py, the same three in PyTorch eager; scripts/gpu-check.sh runs both.
 */
public final class GpuBenchmark {
    private GpuBenchmark() {}

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "all";
        String expect = args.length > 1 ? args[1] : "cuda";
        Backend backend = BenchBackend.require(expect);
        // each figure on its own: GPU time is scarce, so one failure must not cost the others
        if (which.equals("all") || which.equals("gemm")) {
            for (int n : new int[] {2048, 4096, 8192}) {
                guarded("gemm float32 " + n, () -> gemm(backend, n, DType.F32));
                guarded("gemm bfloat16 " + n, () -> gemm(backend, n, DType.BF16));
            }
        }
        if (which.equals("all") || which.equals("train")) {
            guarded("train", () -> train(backend));
        }
        if (which.equals("all") || which.equals("decode")) {
            guarded("decode", () -> decode(backend));
        }
        if (which.equals("all") || which.equals("attention")) {
            for (int t : new int[] {1024, 2048, 4096}) {
                guarded("attention materialised " + t, () -> attention(backend, t, false));
                guarded("attention fused " + t, () -> attention(backend, t, true));
            }
        }
        if (failures > 0) {
            System.exit(1);
        }
    }

    private static int failures;

    private static void guarded(String what, Runnable bench) {
        try {
            bench.run();
        } catch (RuntimeException | OutOfMemoryError e) {
            failures++;
            System.out.printf(Locale.ROOT, "{\"bench\": \"%s\", \"error\": \"%s\"}%n", what,
                    String.valueOf(e).replace("\\", "\\\\").replace("\"", "\\\""));
            e.printStackTrace();
        }
    }

    /**
     * Seconds per run of {@code step} (each in its own scope), the mean of {@code reps} after {@code warm}, the GPU
     * synchronised before the clock starts and after it stops.
     */
    private static double secondsPerStep(Backend backend, int warm, int reps, Runnable step) {
        long start = 0;
        for (int i = 0; i < warm + reps; i++) {
            if (i == warm) {
                backend.synchronize();
                start = System.nanoTime();
            }
            try (Scope s = Scope.open("step")) {
                step.run();
            }
        }
        backend.synchronize();
        return (System.nanoTime() - start) / 1e9 / reps;
    }

    private static void gemm(Backend backend, int n, DType dtype) {
        try (Scope s = Scope.open("gemm")) {
            Tensor a = Tensor.randn(new Generator(1), n, n).to(dtype);
            Tensor b = Tensor.randn(new Generator(2), n, n).to(dtype);
            double seconds = secondsPerStep(backend, 3, 10, () -> a.matmul(b));
            System.out.printf(Locale.ROOT, "{\"bench\": \"gemm\", \"backend\": \"%s\", \"dtype\": \"%s\", \"n\": %d, "
                    + "\"tflops\": %.1f}%n", backend.name(), dtype, n, 2.0 * n * n * n / seconds / 1e12);
        }
    }

    static GPT2Config gpt2Small() {
        return new GPT2Config(50257, 1024, 768, 12, 12, 3072, "gelu_new", 1e-5, 0, 0, 0, Map.of());
    }

    private static void train(Backend backend) {
        int b = 8;
        int t = 512;
        GPT2Config c = gpt2Small();
        try (Scope s = Scope.open("model")) {
            GPT2LMHeadModel model = new GPT2LMHeadModel(c, new Generator(0));
            AdamW opt = new AdamW(model.parameters(), 1e-4);
            Tensor ids = Tensor.randint(new Generator(1), c.vocabSize(), b, t + 1);
            Tensor input = ids.narrow(1, 0, t).contiguous();
            Tensor target = ids.narrow(1, 1, t).contiguous();
            int warm = 3;
            int reps = 10;
            double[] loss = {0};
            int[] steps = {0};
            double seconds = secondsPerStep(backend, warm, reps, () -> {
                Tensor l = model.forward(input, null, false).logits().crossEntropy(target, -100);
                l.backward();
                opt.step();
                opt.zeroGrad();
                if (++steps[0] == warm + reps) {
                    loss[0] = l.item(); // the last step's: reading it waits for the GPU, so only once
                }
            });
            System.out.printf(Locale.ROOT, "{\"bench\": \"train\", \"backend\": \"%s\", \"model\": \"gpt2-small\", "
                    + "\"attention\": \"%s\", \"batch\": %d, \"seq\": %d, \"tokens_per_s\": %.0f, \"step_ms\": %.1f, "
                    + "\"last_loss\": %.3f}%n", backend.name(), System.getProperty("t4j.attention", "auto"), b, t,
                    b * t / seconds, seconds * 1e3, loss[0]);
        }
    }

    private static void attention(Backend backend, int t, boolean fused) {
        int b = 4;
        int h = 12;
        int d = 64;
        try (Scope s = Scope.open("attention")) {
            Tensor q = Tensor.randn(new Generator(1), b, h, t, d).requiresGrad(true);
            Tensor k = Tensor.randn(new Generator(2), b, h, t, d).requiresGrad(true);
            Tensor v = Tensor.randn(new Generator(3), b, h, t, d).requiresGrad(true);
            Tensor mask = Attention.causalBias(0, t);
            double scale = 1 / Math.sqrt(d);
            double ms = 1e3 * secondsPerStep(backend, 2, 5, () -> {
                Tensor out = fused ? Tensor.attention(q, k, v, mask, scale)
                        : Attention.materialised(q, k, v, mask, scale, null);
                out.sum().backward();
            });
            System.out.printf(Locale.ROOT, "{\"bench\": \"attention\", \"backend\": \"%s\", \"path\": \"%s\", "
                    + "\"seq\": %d, \"ms\": %.2f}%n", backend.name(), fused ? "fused" : "materialised", t, ms);
        }
    }

    private static void decode(Backend backend) {
        GPT2Config c = gpt2Small();
        try (Scope s = Scope.open("model")) {
            GPT2LMHeadModel model = new GPT2LMHeadModel(c, new Generator(0));
            double best = GptDecodeThroughput.bestDecodeRate(model, c.vocabSize());
            System.out.printf(Locale.ROOT, "{\"bench\": \"decode\", \"backend\": \"%s\", \"model\": \"gpt2-small\", "
                    + "\"tokens_per_s\": %.1f}%n", backend.name(), best);
        }
    }
}
