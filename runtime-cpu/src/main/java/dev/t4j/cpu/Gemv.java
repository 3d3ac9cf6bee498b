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
 * nn.Linear weights and the tied LM head; y[n] is a dot product with row n of W).
 */
final class Gemv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int BLOCK = 4 * V;

    private Gemv() {}

    /** True when this layout is served: B with a unit stride along one of its dims. */
    static boolean supports(long rowStride, long colStride) {
        return colStride == 1 || rowStride == 1;
    }

    /** out[0, n) = x[0, k) * B; x read with stride {@code xStride}; B with element strides (rs, cs). */
    static void run(int n, int k, MemorySegment xs, long xo, long xStride, MemorySegment bs, long bo, long rs, long cs,
            MemorySegment os, long oo, Parallel par) {
        float[] x = new float[k];
        for (int i = 0; i < k; i++) {
            x[i] = xs.getAtIndex(F, xo + i * xStride);
        }
        if (cs == 1) {
            int blocks = (n + BLOCK - 1) / BLOCK;
            par.forRange(blocks, Math.max(1, 4096 / Math.max(1, k)), (s, e) -> rowsOfB(x, k, bs, bo, rs, os, oo,
                    s * BLOCK, Math.min(n, e * BLOCK)));
        } else {
            par.forRange(n, Math.max(1, 16384 / Math.max(1, k)), (s, e) -> dots(x, k, bs, bo, cs, os, oo, s, e));
        }
    }

    /** y[n0, n1) = sum_p x[p] B[p, n0..n1), B rows contiguous. */
    private static void rowsOfB(float[] x, int k, MemorySegment bs, long bo, long rs, MemorySegment os, long oo, int n0,
            int n1) {
        int j = n0;
        for (; j + BLOCK <= n1; j += BLOCK) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            long at = (bo + j) * 4;
            long step = rs * 4;
            for (int p = 0; p < k; p++, at += step) {
                FloatVector xp = FloatVector.broadcast(S, x[p]);
                a0 = FloatVector.fromMemorySegment(S, bs, at, NATIVE).fma(xp, a0);
                a1 = FloatVector.fromMemorySegment(S, bs, at + 4L * V, NATIVE).fma(xp, a1);
                a2 = FloatVector.fromMemorySegment(S, bs, at + 8L * V, NATIVE).fma(xp, a2);
                a3 = FloatVector.fromMemorySegment(S, bs, at + 12L * V, NATIVE).fma(xp, a3);
            }
            long out = (oo + j) * 4;
            a0.intoMemorySegment(os, out, NATIVE);
            a1.intoMemorySegment(os, out + 4L * V, NATIVE);
            a2.intoMemorySegment(os, out + 8L * V, NATIVE);
            a3.intoMemorySegment(os, out + 12L * V, NATIVE);
        }
        for (; j < n1; j++) {
            float acc = 0;
            for (int p = 0; p < k; p++) {
                acc += x[p] * bs.getAtIndex(F, bo + p * rs + j);
            }
            os.setAtIndex(F, oo + j, acc);
        }
    }

    /** y[j] = dot(x, W[j, :]) for j in [n0, n1), W rows contiguous (B = W^T, column stride cs). */
    private static void dots(float[] x, int k, MemorySegment bs, long bo, long cs, MemorySegment os, long oo, int n0,
            int n1) {
        for (int j = n0; j < n1; j++) {
            long row = (bo + j * cs) * 4;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            int p = 0;
            for (; p + 2 * V <= k; p += 2 * V) {
                a0 = FloatVector.fromMemorySegment(S, bs, row + p * 4L, NATIVE).fma(FloatVector.fromArray(S, x, p), a0);
                a1 = FloatVector.fromMemorySegment(S, bs, row + (p + V) * 4L, NATIVE).fma(FloatVector.fromArray(S, x, p + V), a1);
            }
            float acc = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (; p < k; p++) {
                acc += x[p] * bs.getAtIndex(F, bo + j * cs + p);
            }
            os.setAtIndex(F, oo + j, acc);
        }
    }
}
