package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The row-major to column-major mapping, checked without a GPU: each plan is executed by a Java model of
 * cublasSgemmStridedBatched's documented semantics (op, leading dimension, batch stride) and compared with the
 * product computed from the views' coordinates.
 */
class GemmPlanTest {
    /** A view over a flat array: what a Tensor passes to the backend. */
    record View(double[] data, int[] shape, int[] strides, int offset) {
        double at(int batch, int[] batchShape, int row, int col) {
            int r = shape.length;
            long o = offset;
            for (int d = r - 3; d >= 0; d--) {
                o += (long) (batch % batchShape[d]) * strides[d];
                batch /= batchShape[d];
            }
            return data[(int) (o + (long) row * strides[r - 2] + (long) col * strides[r - 1])];
        }
    }

    private static double[] random(int n, long seed) {
        Random g = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = g.nextGaussian();
        }
        return v;
    }

    /** The plan run by the model of cuBLAS, X from b's storage and Y from a's; C as a flat array. */
    private static double[] runPlan(GemmPlan p, double[] x, int xOff, double[] y, int yOff) {
        double[] c = new double[p.batch() * p.m() * p.n()];
        ColumnMajorGemm.run(p, i -> x[(int) (xOff + i)], i -> y[(int) (yOff + i)], (i, v) -> c[(int) i] = v);
        return c;
    }

    private static void check(View a, View b) {
        int r = a.shape().length;
        int m = a.shape()[r - 2];
        int k = a.shape()[r - 1];
        int n = b.shape()[r - 1];
        int[] batchShape = java.util.Arrays.copyOf(a.shape(), r - 2);
        int batch = 1;
        for (int d : batchShape) {
            batch *= d;
        }
        GemmPlan plan = GemmPlan.plan(a.shape(), a.strides(), b.shape(), b.strides());
        assertThat(plan).as("a plan without copies").isNotNull();
        assertThat(plan.ldx()).isGreaterThanOrEqualTo(Math.max(1, plan.opX() == Cublas.OP_N ? plan.m() : plan.k()));
        assertThat(plan.ldy()).isGreaterThanOrEqualTo(Math.max(1, plan.opY() == Cublas.OP_N ? plan.k() : plan.n()));
        double[] out = runPlan(plan, b.data(), b.offset(), a.data(), a.offset());
        for (int bi = 0; bi < batch; bi++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double expected = 0;
                    for (int q = 0; q < k; q++) {
                        expected += a.at(bi, batchShape, i, q) * b.at(bi, batchShape, q, j);
                    }
                    // out is row-major contiguous [batch, m, n]
                    assertThat(out[(bi * m + i) * n + j]).as("out[%d][%d][%d]", bi, i, j).isCloseTo(expected,
                            within(1e-12));
                }
            }
        }
    }

    @Test
    void contiguousOperands() {
        check(new View(random(24, 1), new int[] {2, 3, 4}, new int[] {12, 4, 1}, 0),
                new View(random(40, 2), new int[] {2, 4, 5}, new int[] {20, 5, 1}, 0));
    }

    @Test
    void transposedViewsNeedNoCopy() {
        // a = storage [2, 4, 3] viewed transposed as [2, 3, 4]; b = storage [2, 5, 4] viewed as [2, 4, 5]
        View at = new View(random(24, 3), new int[] {2, 3, 4}, new int[] {12, 1, 3}, 0);
        View bt = new View(random(40, 4), new int[] {2, 4, 5}, new int[] {20, 1, 4}, 0);
        View a = new View(random(24, 5), new int[] {2, 3, 4}, new int[] {12, 4, 1}, 0);
        View b = new View(random(40, 6), new int[] {2, 4, 5}, new int[] {20, 5, 1}, 0);
        check(at, b);
        check(a, bt);
        check(at, bt);
    }

    @Test
    void slicedRowsBroadcastWeightsAndOffsets() {
        // a: [2, 3, 4] narrowed from [2, 3, 8] at column 2 (row stride 8 > 4 columns), offset 2
        View a = new View(random(48, 7), new int[] {2, 3, 4}, new int[] {24, 8, 1}, 2);
        // b: one [4, 5] matrix broadcast over the batch (stride 0), starting at element 3
        View b = new View(random(23, 8), new int[] {2, 4, 5}, new int[] {0, 5, 1}, 3);
        check(a, b);
    }

    @Test
    void degenerateSizesOfOne() {
        check(new View(random(4, 9), new int[] {1, 4}, new int[] {4, 1}, 0),
                new View(random(20, 10), new int[] {4, 5}, new int[] {5, 1}, 0)); // M = 1
        check(new View(random(12, 11), new int[] {3, 4}, new int[] {4, 1}, 0),
                new View(random(4, 12), new int[] {4, 1}, new int[] {1, 1}, 0)); // N = 1
        check(new View(random(3, 13), new int[] {3, 1}, new int[] {1, 1}, 0),
                new View(random(5, 14), new int[] {1, 5}, new int[] {5, 1}, 0)); // K = 1
        check(new View(random(3, 15), new int[] {3, 1}, new int[] {1, 7}, 0),
                new View(random(5, 16), new int[] {1, 5}, new int[] {0, 1}, 0)); // K = 1, odd strides
    }

    @Test
    void multipleBatchDimsCollapseWhenTheyCan() {
        // [2, 3] batch of contiguous [3, 4] and [4, 2] matrices
        check(new View(random(72, 17), new int[] {2, 3, 3, 4}, new int[] {36, 12, 4, 1}, 0),
                new View(random(48, 18), new int[] {2, 3, 4, 2}, new int[] {24, 8, 2, 1}, 0));
        // a broadcast over the first batch dim only cannot be one stride: it must be copied first
        assertThat(GemmPlan.left(new int[] {2, 3, 3, 4}, new int[] {0, 12, 4, 1})).isNull();
        // rows with a stride in both directions (a gathered view) cannot be handed to cuBLAS either
        assertThat(GemmPlan.left(new int[] {3, 4}, new int[] {8, 2})).isNull();
    }
}
