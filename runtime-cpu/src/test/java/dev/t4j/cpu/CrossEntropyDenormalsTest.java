package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.backend.Backend;
import dev.t4j.backend.Backends;
import dev.t4j.backend.reference.ReferenceBackend;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Cross-entropy's gradient on the CPU runtime holds no denormal floats, which would slow every product that reads it
 * on Intel cores, and otherwise matches the reference, through both paths that make it: crossEntropy's backward pass
 * and the LM head's fused linearCrossEntropy.
 */
class CrossEntropyDenormalsTest {
    private static final int ROWS = 4;
    private static final int CLASSES = 40; // two whole vectors of 16 and a tail of 8

    /**
     * Each row: the target's logit 0, every fifth class -10, the rest -86.5, whose probability e^-86.5 = 2.7e-38 is
     * still normal, but times the mean's 1 / 4 is 6.8e-39, a denormal.
     */
    private static float[] logits() {
        float[] l = new float[ROWS * CLASSES];
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < CLASSES; c++) {
                l[r * CLASSES + c] = c == target(r) ? 0f : c % 5 == 0 ? -10f : -86.5f;
            }
        }
        return l;
    }

    private static int target(int r) {
        return 7 + 9 * r;
    }

    @Test
    void crossEntropysBackwardPass() {
        check(false, 1);
    }

    @Test
    void crossEntropysBackwardPassUnderANegativeUpstreamGradient() {
        check(false, -1); // folded into the kernel's scale: every gradient negative but the targets'
    }

    @Test
    void theFusedLmHead() {
        check(true, 1);
    }

    private static void check(boolean linear, double upstream) {
        float[] expected = gradient(new ReferenceBackend(), linear, upstream);
        float[] got = gradient(new CpuBackend(1), linear, upstream);
        int denormal = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float g = got[i];
            assertThat(g == 0 || Math.abs(g) >= Float.MIN_NORMAL).as("element %d, %s, is denormal", i, g).isTrue();
            if (e != 0 && Math.abs(e) < Float.MIN_NORMAL) {
                denormal++;
                assertThat(g).as("element %d: the reference's denormal %s", i, e).isZero();
            } else {
                // absolute to the gradient's scale (1 / 4): the target's p - 1 cancels to 9e-5
                assertThat((double) g).as("element %d", i).isCloseTo(e, org.assertj.core.data.Offset.offset(
                        1e-5 * Math.abs(e) + 1e-7));
            }
        }
        assertThat(denormal).as("the reference's denormal gradients (else this checks nothing)").isGreaterThan(100);
    }

    /**
     * d(upstream * mean loss)/d(logits): the logits' own gradient or, through x = I, the LM head weight's (transposed).
     */
    private static float[] gradient(Backend b, boolean linear, double upstream) {
        Backend previous = Backends.defaultBackend();
        Backends.setDefault(b);
        try {
            long[] targets = new long[ROWS];
            for (int r = 0; r < ROWS; r++) {
                targets[r] = target(r);
            }
            float[] l = logits();
            if (!linear) {
                Tensor x = Tensor.of(l, ROWS, CLASSES).requiresGrad(true);
                x.crossEntropy(Tensor.of(targets, ROWS), -100).mul(upstream).backward();
                return x.grad().toFloatArray();
            }
            float[] eye = new float[ROWS * ROWS];
            float[] wT = new float[CLASSES * ROWS]; // weight [classes, rows] = logits^T, so that I weight^T = logits
            for (int r = 0; r < ROWS; r++) {
                eye[r * ROWS + r] = 1f;
                for (int c = 0; c < CLASSES; c++) {
                    wT[c * ROWS + r] = l[r * CLASSES + c];
                }
            }
            Tensor x = Tensor.of(eye, ROWS, ROWS).requiresGrad(true);
            Tensor w = Tensor.of(wT, CLASSES, ROWS).requiresGrad(true);
            Tensor.linearCrossEntropy(x, w, Tensor.of(targets, ROWS), -100).mul(upstream).backward();
            float[] dw = w.grad().toFloatArray();
            float[] dLogits = new float[ROWS * CLASSES];
            for (int r = 0; r < ROWS; r++) {
                for (int c = 0; c < CLASSES; c++) {
                    dLogits[r * CLASSES + c] = dw[c * ROWS + r];
                }
            }
            return dLogits;
        } finally {
            Backends.setDefault(previous);
        }
    }
}
