package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.backend.Backend;
import dev.t4j.backend.Backends;
import dev.t4j.backend.reference.ReferenceBackend;
import dev.t4j.memory.Scope;
import dev.t4j.nn.Attention;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A sequence whose every key is padding: each of its query rows attends uniformly to all keys (every score is
 * -3.4e38 plus a value too small to change it), and the fused backward pass must give the gradients of that average.
 * Recomputing the probabilities as exp(s - lse) made them 1 instead of 1 / keys there (lse = max + log(keys) rounds
 * back to max), so the gradients came out keys times too large.
 */
class FusedAttentionMaskedRowsTest {
    @Test
    void fullyMaskedRowsGetTheGradientsOfTheMaterialisingPath() {
        // 20 keys: the packed kernel (up to 512 keys); 530: the tiled one
        for (Backend backend : new Backend[] {new CpuBackend(2), new ReferenceBackend()}) {
            for (int keys : new int[] {20, 530}) {
                float[][] fused = run(backend, keys, "fused");
                float[][] materialised = run(backend, keys, "materialised");
                for (int i = 0; i < fused.length; i++) {
                    float[] a = fused[i];
                    float[] b = materialised[i];
                    for (int j = 0; j < a.length; j++) {
                        assertThat((double) a[j]).as("%s, %d keys, output %d [%d]", backend.name(), keys, i, j)
                                .isCloseTo(b[j], org.assertj.core.data.Offset.offset(1e-4 + 1e-4 * Math.abs(b[j])));
                    }
                }
            }
        }
    }

    private static float[][] run(Backend backend, int t, String mode) {
        Backend before = Backends.defaultBackend();
        String property = System.getProperty("t4j.attention");
        Backends.setDefault(backend);
        System.setProperty("t4j.attention", mode);
        try (Scope s = Scope.open("masked rows")) {
            int batch = 2;
            int heads = 2;
            int d = 16;
            Tensor q = Tensor.randn(new Generator(0), batch, heads, t, d).requiresGrad(true);
            Tensor k = Tensor.randn(new Generator(1), batch, heads, t, d).requiresGrad(true);
            Tensor v = Tensor.randn(new Generator(2), batch, heads, t, d).requiresGrad(true);
            long[] mask = new long[batch * t];
            java.util.Arrays.fill(mask, 0, t, 1); // the second sequence is all padding
            Tensor bias = Attention.paddingBias(Tensor.of(mask, batch, t));
            Tensor out = Attention.scaledDotProduct(q, k, v, bias, 0.25, null);
            out.mul(Tensor.randn(new Generator(3), batch, heads, t, d)).sum().backward();
            return new float[][] {out.toFloatArray(), q.grad().toFloatArray(), k.grad().toFloatArray(),
                v.grad().toFloatArray()};
        } finally {
            Backends.setDefault(before);
            if (property == null) {
                System.clearProperty("t4j.attention");
            } else {
                System.setProperty("t4j.attention", property);
            }
        }
    }
}
