package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.backend.UnaryOp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The packed GEMM against a plain triple loop, on sizes that cross every blocking boundary and edge tile. */
class GemmTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @Test
    void matchesTripleLoopAcrossBlockBoundaries() {
        // sizes from the blocking constants, so that they keep crossing the boundaries when those change
        int[][] sizes = {{1, 1, 1}, {Gemm.MR, Gemm.NR, 256}, {Gemm.MR + 1, Gemm.NR + 1, 257}, {25, 545, 300},
            {121, 70, 513}, {3, 1100, 40},
            {7, 37, 1100}, // k across three k blocks (KC 512)
            {Gemm.MCB + 10, 400, 9}, // two panels of B (NB 384) and rows past one packed block of A (MCB)
            {25, 900, 1100}, // all of a small A packed at once, panels outside the k blocks
            {4100, 20, 700}, // transposed, columns 4,100 apart: whole slivers all step by step, then the rest
            // transposed: whole slivers step by step in groups of STEP_GROUP, STEP_GROUP and 1, then 4 rows
            {(2 * Gemm.STEP_GROUP + 1) * Gemm.MR + 4, 40, 600},
            // row-major A wide enough to be packed transposed: a partial sliver, k blocks packed one after another
            // (panel by panel), a tail of k % 16 steps; then rows past one packed block of A
            {Gemm.MR * 3 + 5, Gemm.TRANSPOSED_A_MIN_N + 6, 533}, {Gemm.MCB + 10, Gemm.TRANSPOSED_A_MIN_N, 40}};
        for (Parallel par : new Parallel[] {new Parallel(1), new Parallel(2)}) {
            for (int[] s : sizes) {
                for (boolean transA : new boolean[] {false, true}) {
                    for (boolean transB : new boolean[] {false, true}) {
                        check(s[0], s[1], s[2], transA, transB, par, false);
                    }
                }
            }
        }
    }

    @Test
    void accumulatesIntoC() {
        // one k block, several, the panel-by-panel order, column and row splits over two threads
        int[][] sizes = {{13, 33, 257}, {121, 70, 1100}, {25, 900, 1100}, {300, 45, 40}, {4104, 30, 600}};
        for (Parallel par : new Parallel[] {new Parallel(1), new Parallel(2)}) {
            for (int[] s : sizes) {
                check(s[0], s[1], s[2], true, false, par, true);
                check(s[0], s[1], s[2], false, true, par, true);
            }
        }
    }

    @Test
    void addsTheBiasAndAppliesTheActivationAsCIsWritten() {
        // the bias merged with the first k block's tiles (one block, several, the panel-by-panel order, edge tiles),
        // the activation after the last; the bias read from an offset, as a row of a larger tensor
        int[][] sizes = {{13, 33, 257}, {121, 70, 1100}, {25, 900, 1100}, {2170, 400, 9}, {300, 45, 40}};
        for (Parallel par : new Parallel[] {new Parallel(1), new Parallel(2)}) {
            for (int[] s : sizes) {
                for (UnaryOp act : new UnaryOp[] {null, UnaryOp.RELU}) {
                    check(s[0], s[1], s[2], false, true, par, false, act);
                }
            }
        }
    }

    @Test
    void splitsTheLongerSideOverThreads() {
        // the LM head's gradients: A is the [2,048, 8,192] dlogits or its transpose, B a few MB
        assertThat(Gemm.splitByRows(2048, 256, 2)).isTrue();
        assertThat(Gemm.splitByRows(8192, 256, 2)).isTrue();
        assertThat(Gemm.splitByRows(2048, 8192, 2)).isFalse();
        assertThat(Gemm.splitByRows(256, 1024, 2)).isFalse();
        assertThat(Gemm.splitByRows(256, 256, 2)).isFalse(); // a tie stays by columns
        assertThat(Gemm.splitByRows(40, 8, 2)).isFalse(); // too few rows to share: by columns, even when narrow
        assertThat(Gemm.splitByRows(2048, 40, 2)).isTrue();
    }

    @Test
    void rowMajorAGivesTheSameBitsPackedByRowsOrTransposed() {
        // one thread packs A transposed (n >= TRANSPOSED_A_MIN_N); two split the columns, each half narrower, and
        // pack it by rows: the two kernels add the same products in the same order
        int[][] sizes = {{100, 2 * Gemm.TRANSPOSED_A_MIN_N - 48, 300}, {47, 2 * Gemm.TRANSPOSED_A_MIN_N - 8, 533}};
        for (int[] s : sizes) {
            int m = s[0], n = s[1], k = s[2];
            assertThat(Gemm.splitByRows(m, n, 2)).isFalse();
            try (Arena arena = Arena.ofShared()) {
                MemorySegment a = filled(arena, (long) m * k, 0.37, false);
                MemorySegment b = filled(arena, (long) k * n, 0.11, true);
                var oa = new Gemm.Operand(a, 0, k, 1);
                var ob = new Gemm.Operand(b, 0, n, 1);
                MemorySegment[] c = new MemorySegment[2];
                for (int t = 0; t < 2; t++) {
                    c[t] = arena.allocate((long) m * n * 4);
                    Gemm.sgemm(m, n, k, oa, ob, c[t], 0, n, new Parallel(t + 1));
                }
                assertThat(c[1].mismatch(c[0])).as("C of %dx%dx%d", m, n, k).isEqualTo(-1);
            }
        }
    }

    @Test
    void twoThreadsGiveTheBitsAndColumnSumsOfOne() {
        // split by rows (m > n) and by columns, with B's column sums (a linear layer's bias gradient) taken alongside
        int[][] sizes = {{1000, 300, 700}, {300, 1000, 700}, {2170, 400, 9}};
        for (int[] s : sizes) {
            int m = s[0], n = s[1], k = s[2];
            try (Arena arena = Arena.ofShared()) {
                MemorySegment a = filled(arena, (long) m * k, 0.37, false);
                MemorySegment b = filled(arena, (long) k * n, 0.11, true);
                var oa = new Gemm.Operand(a, 0, 1, m); // X^T, as a weight gradient's A
                var ob = new Gemm.Operand(b, 0, n, 1);
                MemorySegment[] c = new MemorySegment[2];
                MemorySegment[] sums = new MemorySegment[2];
                for (int t = 0; t < 2; t++) {
                    c[t] = arena.allocate((long) m * n * 4);
                    sums[t] = arena.allocate((long) n * 4);
                    Gemm.sgemmWithColumnSums(m, n, k, oa, ob, c[t], 0, n, new Parallel(t + 1), sums[t], 0);
                }
                assertThat(c[1].mismatch(c[0])).as("C of %dx%dx%d", m, n, k).isEqualTo(-1);
                assertThat(sums[1].mismatch(sums[0])).as("column sums of %dx%dx%d", m, n, k).isEqualTo(-1);
                for (int j = 0; j < n; j += 37) {
                    double ref = 0;
                    for (int p = 0; p < k; p++) {
                        ref += b.getAtIndex(F, (long) p * n + j);
                    }
                    assertThat((double) sums[0].getAtIndex(F, j)).as("sum of column %d", j)
                            .isCloseTo(ref, within(1e-4 * k));
                }
            }
        }
    }

    private static void check(int m, int n, int k, boolean transA, boolean transB, Parallel par, boolean accumulate) {
        check(m, n, k, transA, transB, par, accumulate, null);
    }

    /** {@code n} floats: element i is sin(i * step), or cos(i * step). */
    private static MemorySegment filled(Arena arena, long n, double step, boolean cos) {
        MemorySegment m = arena.allocate(n * 4);
        for (long i = 0; i < n; i++) {
            m.setAtIndex(F, i, (float) (cos ? Math.cos(i * step) : Math.sin(i * step)));
        }
        return m;
    }

    /** With {@code act} not null, also a bias (element j = j / 8 - 2, from element 5 of its memory) and act. */
    private static void check(int m, int n, int k, boolean transA, boolean transB, Parallel par, boolean accumulate,
            UnaryOp act) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = filled(arena, (long) m * k, 0.37, false);
            MemorySegment b = filled(arena, (long) k * n, 0.11, true);
            MemorySegment c = arena.allocate((long) m * n * 4);
            // element (i, p) of A lives at i*k+p, or at p*m+i when A is stored transposed
            var oa = transA ? new Gemm.Operand(a, 0, 1, m) : new Gemm.Operand(a, 0, k, 1);
            var ob = transB ? new Gemm.Operand(b, 0, 1, k) : new Gemm.Operand(b, 0, n, 1);
            for (long i = 0; i < (long) m * n; i++) {
                c.setAtIndex(F, i, (float) (i % 7) - 3);
            }
            MemorySegment bias = arena.allocate((long) (n + 5) * 4);
            for (int j = 0; j < n; j++) {
                bias.setAtIndex(F, j + 5, j / 8f - 2);
            }
            if (accumulate) {
                Gemm.sgemmAccumulate(m, n, k, oa, ob, c, 0, n, par);
            } else if (act != null) {
                Gemm.sgemm(m, n, k, oa, ob, c, 0, n, par, new Gemm.Epilogue(bias, 5, act));
            } else {
                Gemm.sgemm(m, n, k, oa, ob, c, 0, n, par);
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double ref = accumulate ? (double) (((long) i * n + j) % 7) - 3 : 0;
                    for (int p = 0; p < k; p++) {
                        float av = a.getAtIndex(F, transA ? (long) p * m + i : (long) i * k + p);
                        float bv = b.getAtIndex(F, transB ? (long) j * k + p : (long) p * n + j);
                        ref += (double) av * bv;
                    }
                    if (act != null) {
                        ref = Math.max(0, ref + j / 8.0 - 2); // the only activation tested: ReLU
                    }
                    float got = c.getAtIndex(F, (long) i * n + j);
                    assertThat(Math.abs(got - ref)).as("C[%d][%d] of %dx%dx%d transA=%s transB=%s threads=%d acc=%s", i,
                            j, m, n, k, transA, transB, par.threads(), accumulate).isLessThan(1e-4 * Math.sqrt(k) + 1e-5);
                }
            }
        }
    }
}
