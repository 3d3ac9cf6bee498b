package dev.t4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AutogradTest {
    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor w = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        w.mul(w).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(2, 4, 6);
        w.mul(3).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(5, 7, 9);
        w.zeroGrad();
        assertThat(w.grad().toFloatArray()).containsExactly(0, 0, 0);
    }

    @Test
    void afterZeroGradTheNextBackwardStartsFromZerosAndTheGradientTensorIsKept() {
        // zeroGrad writes its zeros lazily: the next backward copies instead of adding, a read fills them first
        Tensor w = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        w.mul(w).sum().backward();
        Tensor held = w.grad();
        w.zeroGrad();
        w.mul(3).sum().backward();
        assertThat(w.grad()).isSameAs(held);
        assertThat(w.grad().toFloatArray()).containsExactly(3, 3, 3);
        w.mul(w).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(5, 7, 9);
        w.zeroGrad();
        w.zeroGrad();
        assertThat(held.toFloatArray()).as("not yet written").containsExactly(5, 7, 9);
        assertThat(w.grad().toFloatArray()).containsExactly(0, 0, 0);
        w.mul(w).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(2, 4, 6);
    }

    @Test
    void tensorUsedTwiceGetsTheSumOfBothPaths() {
        Tensor x = Tensor.of(new float[] {2}, 1).requiresGrad(true);
        Tensor y = x.mul(3);
        y.add(y.mul(y)).sum().backward(); // d/dx (3x + 9x^2) = 3 + 18x
        assertThat(x.grad().toFloatArray()).containsExactly(39);
    }

    @Test
    void slicesOfOneTensorSumTheirGradientsWithoutTouchingAGradientSharedWithAnotherInput() {
        // x [2, 6] cut into three column slices (q, k and v of one projection), and also used whole in z = x + w,
        // whose backward hands the same gradient tensor to x and to w: the slices' gradients are added in place
        // into x's sum, which must never be that shared tensor
        float[] xs = new float[12];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = i - 4;
        }
        Tensor x = Tensor.of(xs, 2, 6).requiresGrad(true);
        Tensor w = Tensor.of(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 2, 6).requiresGrad(true);
        Tensor z = x.add(w);
        Tensor slices = x.narrow(1, 0, 2).sum().add(x.narrow(1, 2, 2).mul(2).sum()).add(x.narrow(1, 4, 2).mul(3).sum());
        // z's gradient is a sum of two (z is used twice); w.mul(0) first puts w before the slices in the reverse
        // topological order, so a shared gradient updated in place by the slices would reach w wrong
        Tensor loss = w.mul(0).sum().add(slices).add(z.mul(z).sum());
        loss.backward();
        float[] gx = new float[12];
        float[] gw = new float[12];
        for (int i = 0; i < 12; i++) {
            gw[i] = 2 * (xs[i] + 1); // d(z^2)/dz
            gx[i] = gw[i] + (i % 6) / 2 + 1; // plus 1, 2 or 3 from the slice that holds column i % 6
        }
        assertThat(x.grad().toFloatArray()).containsExactly(gx);
        assertThat(w.grad().toFloatArray()).containsExactly(gw);
    }

    @Test
    void slicesOfANonLeafAreCopiedIntoPlaceAndWhatNoSliceWroteIsZero() {
        // y = 2a, not a leaf, cut into slices weighted c (loss term c * sum(slice)): slices that do not overlap are
        // copied into y's gradient and the rest of it zeroed only when y's backward reads it; a slice that overlaps
        // one already there, one along another dim, or a gradient of all of y, must then add to the zeros and copies
        int[][] disjoint = {{1, 0, 2, 1}, {1, 2, 2, 2}, {1, 4, 2, 3}}; // {dim, start, length, weight}
        int[][] gap = {{1, 0, 1, 1}, {1, 3, 2, 2}};
        int[][] overlap = {{1, 0, 3, 1}, {1, 2, 3, 2}, {1, 5, 1, 3}};
        int[][] twoDims = {{1, 0, 2, 1}, {0, 1, 2, 2}, {1, 3, 3, 3}};
        for (int[][] slices : new int[][][] {disjoint, gap, overlap, twoDims}) {
            for (boolean whole : new boolean[] {false, true}) {
                Tensor a = Tensor.of(new float[24], 4, 6).requiresGrad(true); // the loss is linear in it
                Tensor y = a.mul(2);
                Tensor loss = whole ? y.mul(5).sum() : Tensor.of(new float[] {0}, 1).sum();
                float[] dy = new float[24];
                if (whole) {
                    Arrays.fill(dy, 5);
                }
                for (int[] sl : slices) {
                    loss = loss.add(y.narrow(sl[0], sl[1], sl[2]).mul(sl[3]).sum());
                    for (int i = 0; i < 4; i++) {
                        for (int j = 0; j < 6; j++) {
                            int at = sl[0] == 0 ? i : j;
                            if (at >= sl[1] && at < sl[1] + sl[2]) {
                                dy[i * 6 + j] += sl[3];
                            }
                        }
                    }
                }
                loss.backward();
                float[] expect = new float[24];
                for (int i = 0; i < 24; i++) {
                    expect[i] = 2 * dy[i];
                }
                assertThat(a.grad().toFloatArray()).as("slices %s, whole %s", Arrays.deepToString(slices), whole)
                        .containsExactly(expect);
            }
        }
    }

    @Test
    void aTiedEmbeddingAddsItsLookedUpRowsIntoTheGradientOfTheSameWeight() {
        // w [5, 3] is a lookup table twice (an id repeated) and an LM head (x w^T); y = 2 v, not a leaf, the same.
        // Their gradients must be those of three separate copies, summed; integer values keep every sum exact.
        float[] ws = new float[15];
        for (int i = 0; i < ws.length; i++) {
            ws[i] = i % 4 - 1;
        }
        Tensor w = Tensor.of(ws, 5, 3).requiresGrad(true);
        Tensor v = Tensor.of(ws, 5, 3).requiresGrad(true);
        Tensor[] copies = new Tensor[6];
        for (int i = 0; i < copies.length; i++) {
            copies[i] = Tensor.of(ws, 5, 3).requiresGrad(true);
        }
        tiedLoss(w, w, w).add(tiedLoss(v.mul(2), null, null)).backward();
        tiedLoss(copies[0], copies[1], copies[2]).add(tiedLoss(copies[3].mul(2), copies[4].mul(2), copies[5].mul(2)))
                .backward();
        float[] expectW = new float[15];
        float[] expectV = new float[15];
        for (int i = 0; i < 15; i++) {
            for (int c = 0; c < 3; c++) {
                expectW[i] += copies[c].grad().toFloatArray()[i];
                expectV[i] += copies[3 + c].grad().toFloatArray()[i];
            }
        }
        assertThat(w.grad().toFloatArray()).containsExactly(expectW);
        assertThat(v.grad().toFloatArray()).containsExactly(expectV);
        // again into zeroed gradients (zeroGrad's zeros are written lazily), then added to what is there
        w.zeroGrad();
        tiedLoss(w, w, w).backward();
        assertThat(w.grad().toFloatArray()).containsExactly(expectW);
        tiedLoss(w, w, w).backward();
        float[] twice = expectW.clone();
        for (int i = 0; i < twice.length; i++) {
            twice[i] *= 2;
        }
        assertThat(w.grad().toFloatArray()).containsExactly(twice);
    }

    /** Two lookups (rows 1, 3, 1 of a; 4, 0 of b) and a head (x head^T), weighted so that every gradient differs. */
    private static Tensor tiedLoss(Tensor head, Tensor a, Tensor b) {
        Tensor x = Tensor.of(new float[] {1, -2, 3, 0, 1, 2}, 2, 3);
        Tensor loss = x.matmul(head.mT()).mul(Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 2, 5)).sum();
        a = a == null ? head : a;
        b = b == null ? head : b;
        Tensor first = Tensor.embedding(a, Tensor.of(new long[] {1, 3, 1}, 3));
        Tensor second = Tensor.embedding(b, Tensor.of(new long[] {4, 0}, 2));
        return loss.add(first.mul(Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3)).sum())
                .add(second.mul(-3).sum());
    }

    @Test
    void traceNamesEachNodeWithTheSumsOfSquaresOfItsGradients() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream out = System.out;
        System.setProperty("t4j.autograd.trace", "true");
        try {
            System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            x.mul(2).sum().backward();
        } finally {
            System.setOut(out);
            System.clearProperty("t4j.autograd.trace");
        }
        String[] lines = captured.toString(java.nio.charset.StandardCharsets.UTF_8).strip().split("\\R");
        // sum() is a sum over the axis, then a squeeze to a scalar: the root's gradient 1 passes the squeeze, the sum
        // spreads it to ones [3] (sum of squares 3), and the scaling by 2 gives 2s [3] (12)
        assertThat(lines).containsExactly("[t4j trace] squeeze g=1.000000e+00 1.000000e+00",
                "[t4j trace] sum g=1.000000e+00 3.000000e+00", "[t4j trace] scale g=3.000000e+00 1.200000e+01");
        assertThat(x.grad().toFloatArray()).containsExactly(2, 2, 2);
    }

    @Test
    void noGradRecordsNothing() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor y;
        try (var g = GradMode.noGrad()) {
            y = w.mul(2);
        }
        assertThat(y.requiresGrad()).isFalse();
        assertThat(y.gradFn()).isNull();
        assertThatThrownBy(() -> y.sum().backward()).hasMessageContaining("does not require grad");
        assertThat(GradMode.isEnabled()).isTrue();
    }

    @Test
    void secondBackwardNeedsRetainGraph() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor loss = w.exp().sum();
        loss.backward(Tensor.scalar(1), true);
        loss.backward(Tensor.scalar(1), false);
        assertThat(w.grad().toFloatArray()[0]).isEqualTo((float) (2 * Math.E));
        assertThatThrownBy(loss::backward).hasMessageContaining("retainGraph");
    }

    @Test
    void detachCutsTheGraphAndGradientsDoNotFlowIntoIntegers() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor d = w.mul(2).detach();
        assertThat(d.requiresGrad()).isFalse();
        assertThatThrownBy(() -> Tensor.arange(3).requiresGrad(true)).hasMessageContaining("floating-point");
    }

    @Test
    void deepGraphsDoNotOverflowTheStack() {
        Tensor w = Tensor.ones(1).requiresGrad(true);
        Tensor x = w;
        for (int i = 0; i < 20_000; i++) {
            x = x.add(1);
        }
        x.sum().backward();
        assertThat(w.grad().item()).isEqualTo(1);
    }
}
