package dev.t4j.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
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
            par.forRange(n, Math.max(1, 16384 / Math.max(1, k)), (s, e) -> dots(x, k, bs, bo, cs, bf16, os, oo, s, e));
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
    private static void dots(float[] x, int k, MemorySegment bs, long bo, long cs, boolean bf16, MemorySegment os,
            long oo, int n0, int n1) {
        int half = (n1 - n0) / 2;
        for (int j = n0; j < n0 + half; j++) {
            dotPair(x, k, bs, bo + j * cs, bo + (j + half) * cs, bf16, os, oo + j, oo + j + half);
        }
        if ((n1 - n0) % 2 != 0) {
            long last = bo + (n1 - 1) * cs;
            dotPair(x, k, bs, last, last, bf16, os, oo + n1 - 1, oo + n1 - 1);
        }
    }

    /** out[ya] = dot(x, the row of W at element ra), out[yb] likewise for rb: two rows read side by side. */
    private static void dotPair(float[] x, int k, MemorySegment bs, long ra, long rb, boolean bf16, MemorySegment os,
            long ya, long yb) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        int p = 0;
        for (; p + 2 * V <= k; p += 2 * V) {
            FloatVector x0 = FloatVector.fromArray(S, x, p);
            FloatVector x1 = FloatVector.fromArray(S, x, p + V);
            a0 = VectorMath.load(bs, ra + p, bf16).fma(x0, a0);
            b0 = VectorMath.load(bs, rb + p, bf16).fma(x0, b0);
            a1 = VectorMath.load(bs, ra + p + V, bf16).fma(x1, a1);
            b1 = VectorMath.load(bs, rb + p + V, bf16).fma(x1, b1);
        }
        float accA = VectorMath.sum(a0.add(a1));
        float accB = VectorMath.sum(b0.add(b1));
        for (; p < k; p++) {
            accA += x[p] * get(bs, ra + p, bf16);
            accB += x[p] * get(bs, rb + p, bf16);
        }
        os.setAtIndex(F, ya, accA);
        os.setAtIndex(F, yb, accB);
    }

    private static float get(MemorySegment bs, long at, boolean bf16) {
        return bf16 ? Bf16.get(bs, at) : bs.getAtIndex(F, at);
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
}
