package dev.t4j.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x B for a single row x: the shape of every linear layer while generating one token at a time. Packing B for
 * the GEMM would copy the whole weight matrix for one row of output, so this streams B once instead: each weight
 * is read from memory exactly once, which is all a memory-bound product can do. Two layouts: B row-major ([K, N],
 * GPT-2's Conv1D weights; y accumulates rows of B) and B a transposed row-major matrix (x W^T with W [N, K],
 * nn.Linear weights and the tied LM head; y[n] is a dot product with row n of W). B may be bfloat16, widened as
 * it is read, which halves the bytes streamed per token.
 */
final class Gemv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private Gemv() {}

    /** True when this layout is served: B with a unit stride along one of its dims. */
    static boolean supports(long rowStride, long colStride) {
        return colStride == 1 || rowStride == 1;
    }

    /**
     * out[0, n) = x[0, k) * B; x read with stride {@code xStride}; B with element strides (rs, cs), float32 or, when
     * {@code bf16}, bfloat16.
     */
    static void run(int n, int k, MemorySegment xs, long xo, long xStride, MemorySegment bs, long bo, long rs, long cs,
            boolean bf16, MemorySegment os, long oo, Parallel par) {
        float[] x = new float[k];
        for (int i = 0; i < k; i++) {
            x[i] = xs.getAtIndex(F, xo + i * xStride);
        }
        if (cs == 1) {
            // Split by rows of B, not columns: a block of whole rows is one contiguous run of memory, so each
            // thread streams its share front to back; the partial sums are added at the end (n floats each).
            int parts = (int) Math.max(1, Math.min(par.threads(), (long) k * n / 65536));
            float[][] partial = new float[parts][n];
            par.forRange(parts, 1, (s, e) -> {
                for (int c = s; c < e; c++) {
                    int p0 = (int) ((long) k * c / parts);
                    int p1 = (int) ((long) k * (c + 1) / parts);
                    if (bf16) {
                        rowsOfBBf16(x, p0, p1, bs, bo, rs, partial[c]);
                    } else {
                        rowsOfB(x, p0, p1, bs, bo, rs, partial[c]);
                    }
                }
            });
            for (int c = 1; c < parts; c++) {
                float[] y = partial[0];
                float[] add = partial[c];
                int j = 0;
                for (; j + V <= n; j += V) {
                    FloatVector.fromArray(S, y, j).add(FloatVector.fromArray(S, add, j)).intoArray(y, j);
                }
                for (; j < n; j++) {
                    y[j] += add[j];
                }
            }
            MemorySegment.copy(partial[0], 0, os, F, oo * 4, n);
        } else {
            par.forRange(n, Math.max(1, 16384 / Math.max(1, k)), (s, e) -> {
                if (bf16) {
                    dotsBf16(x, k, bs, bo, cs, os, oo, s, e);
                } else {
                    dots(x, k, bs, bo, cs, os, oo, s, e);
                }
            });
        }
    }

    /**
     * y += sum over rows p in [p0, p1) of x[p] B[p, :], B's rows contiguous from element {@code bo} with stride
     * {@code rs}: the rows are read in order, one at a time, so a matrix that does not fit in cache streams from
     * memory as one sequential run (measured on GPT-2-sized weights: 32 GB/s, against 20-22 GB/s when four rows
     * were folded per pass or when all rows were walked for one narrow block of columns at a time). y stays in L1.
     */
    private static void rowsOfB(float[] x, int p0, int p1, MemorySegment bs, long bo, long rs, float[] y) {
        int w = y.length;
        for (int p = p0; p < p1; p++) {
            FloatVector xp = FloatVector.broadcast(S, x[p]);
            long row = (bo + p * rs) * 4;
            int j = 0;
            for (; j + V <= w; j += V) {
                FloatVector.fromMemorySegment(S, bs, row + j * 4L, NATIVE).fma(xp, FloatVector.fromArray(S, y, j))
                        .intoArray(y, j);
            }
            for (; j < w; j++) {
                y[j] += x[p] * bs.getAtIndex(F, bo + p * rs + j);
            }
        }
    }

    /**
     * y[j] = dot(x, W[j, :]) for j in [n0, n1), W rows contiguous (B = W^T, column stride cs). Two rows at a time,
     * one from each half of the range: each half is one sequential run of memory, so the hardware prefetcher sees
     * two long streams. Two rows side by side instead (j, j + 1) restart its streams every row, and a 768-wide row
     * is too short for it to get going: measured on GPT-2's bfloat16 matrices, one thread, 16.5 GB/s for four
     * adjacent rows at a time against 35 GB/s for two halves and 29.5 GB/s for one row at a time. An odd last row
     * is paired with itself (its second read comes from cache).
     */
    private static void dots(float[] x, int k, MemorySegment bs, long bo, long cs, MemorySegment os, long oo, int n0,
            int n1) {
        int half = (n1 - n0) / 2;
        for (int j = n0; j < n0 + half; j++) {
            dotPair(x, k, bs, bo, cs, os, oo, j, j + half);
        }
        if ((n1 - n0) % 2 != 0) {
            dotPair(x, k, bs, bo, cs, os, oo, n1 - 1, n1 - 1);
        }
    }

    /** y[ja] and y[jb], two rows of W read side by side. */
    private static void dotPair(float[] x, int k, MemorySegment bs, long bo, long cs, MemorySegment os, long oo, int ja,
            int jb) {
        long r0 = (bo + ja * cs) * 4;
        long r1 = (bo + jb * cs) * 4;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        int p = 0;
        for (; p + 2 * V <= k; p += 2 * V) {
            FloatVector x0 = FloatVector.fromArray(S, x, p);
            FloatVector x1 = FloatVector.fromArray(S, x, p + V);
            a0 = FloatVector.fromMemorySegment(S, bs, r0 + p * 4L, NATIVE).fma(x0, a0);
            b0 = FloatVector.fromMemorySegment(S, bs, r1 + p * 4L, NATIVE).fma(x0, b0);
            a1 = FloatVector.fromMemorySegment(S, bs, r0 + (p + V) * 4L, NATIVE).fma(x1, a1);
            b1 = FloatVector.fromMemorySegment(S, bs, r1 + (p + V) * 4L, NATIVE).fma(x1, b1);
        }
        float accA = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float accB = b0.add(b1).reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) {
            accA += x[p] * bs.getAtIndex(F, bo + ja * cs + p);
            accB += x[p] * bs.getAtIndex(F, bo + jb * cs + p);
        }
        os.setAtIndex(F, oo + ja, accA);
        os.setAtIndex(F, oo + jb, accB);
    }

    /** {@link #rowsOfB} with B in bfloat16. */
    private static void rowsOfBBf16(float[] x, int p0, int p1, MemorySegment bs, long bo, long rs, float[] y) {
        int w = y.length;
        for (int p = p0; p < p1; p++) {
            FloatVector xp = FloatVector.broadcast(S, x[p]);
            long row = bo + p * rs;
            int j = 0;
            for (; j + V <= w; j += V) {
                Bf16.load(bs, row + j).fma(xp, FloatVector.fromArray(S, y, j)).intoArray(y, j);
            }
            for (; j < w; j++) {
                y[j] += x[p] * Bf16.get(bs, row + j);
            }
        }
    }

    /** {@link #dots} with W in bfloat16. */
    private static void dotsBf16(float[] x, int k, MemorySegment bs, long bo, long cs, MemorySegment os, long oo,
            int n0, int n1) {
        int half = (n1 - n0) / 2;
        for (int j = n0; j < n0 + half; j++) {
            dotPairBf16(x, k, bs, bo, cs, os, oo, j, j + half);
        }
        if ((n1 - n0) % 2 != 0) {
            dotPairBf16(x, k, bs, bo, cs, os, oo, n1 - 1, n1 - 1);
        }
    }

    /** {@link #dotPair} with W in bfloat16. */
    private static void dotPairBf16(float[] x, int k, MemorySegment bs, long bo, long cs, MemorySegment os, long oo,
            int ja, int jb) {
        long r0 = bo + ja * cs;
        long r1 = bo + jb * cs;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        int p = 0;
        for (; p + 2 * V <= k; p += 2 * V) {
            FloatVector x0 = FloatVector.fromArray(S, x, p);
            FloatVector x1 = FloatVector.fromArray(S, x, p + V);
            a0 = Bf16.load(bs, r0 + p).fma(x0, a0);
            b0 = Bf16.load(bs, r1 + p).fma(x0, b0);
            a1 = Bf16.load(bs, r0 + p + V).fma(x1, a1);
            b1 = Bf16.load(bs, r1 + p + V).fma(x1, b1);
        }
        float accA = a0.add(a1).reduceLanes(VectorOperators.ADD);
        float accB = b0.add(b1).reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) {
            accA += x[p] * Bf16.get(bs, r0 + p);
            accB += x[p] * Bf16.get(bs, r1 + p);
        }
        os.setAtIndex(F, oo + ja, accA);
        os.setAtIndex(F, oo + jb, accB);
    }
}
