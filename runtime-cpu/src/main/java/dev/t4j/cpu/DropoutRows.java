package dev.t4j.cpu;

import dev.t4j.backend.DropoutMask;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DropoutMask}'s factors drawn a vector of columns at a time: the hash in integer lanes, compared and blended
 * into 0 or 1 / (1 - p). For dropout on a tensor and on attention probabilities inside {@link FusedAttention}.
 */
final class DropoutRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    @SuppressWarnings("unchecked")
    private static final VectorSpecies<Integer> I = (VectorSpecies<Integer>) S.withLanes(int.class);
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int[] IOTA = new int[V];

    static {
        for (int l = 0; l < V; l++) {
            IOTA[l] = l;
        }
    }

    private DropoutRows() {}

    /** The factors of columns [col, col + V) in the row of {@code rowKey}. */
    private static FloatVector factors(int rowKey, int col, int threshold, FloatVector kept) {
        IntVector h = IntVector.fromArray(I, IOTA, 0).add(col).mul(0x9E3779B9).lanewise(VectorOperators.XOR, rowKey);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
        VectorMask<Float> keeps = h.lanewise(VectorOperators.LSHR, 8).compare(VectorOperators.GE, threshold).cast(S);
        return FloatVector.zero(S).blend(kept, keeps);
    }

    /** keep[0, n), rounded up to whole vectors, = the factors of columns [col0, col0 + n) in row {@code row}. */
    static void factors(float[] keep, int n, DropoutMask mask, long row, int col0) {
        int rowKey = mask.rowKey(row);
        int threshold = mask.threshold();
        FloatVector kept = FloatVector.broadcast(S, mask.keepScale());
        for (int j = 0; j < n; j += V) {
            factors(rowKey, col0 + j, threshold, kept).intoArray(keep, j);
        }
    }

    /** out = x * the factors, rows [r0, r1) of {@code cols} values from element offsets xOff and oOff. */
    static void apply(MemorySegment x, long xOff, MemorySegment out, long oOff, int cols, long r0, long r1,
            DropoutMask mask) {
        int threshold = mask.threshold();
        float keepScale = mask.keepScale();
        FloatVector kept = FloatVector.broadcast(S, keepScale);
        for (long row = r0; row < r1; row++) {
            int rowKey = mask.rowKey(row);
            long xAt = xOff + row * cols;
            long oAt = oOff + row * cols;
            int j = 0;
            for (; j + V <= cols; j += V) {
                VectorMath.store(VectorMath.load(x, xAt + j).mul(factors(rowKey, j, threshold, kept)), out, oAt + j);
            }
            for (; j < cols; j++) {
                float f = DropoutMask.bits(rowKey, j) >>> 8 >= threshold ? keepScale : 0f;
                out.setAtIndex(F, oAt + j, x.getAtIndex(F, xAt + j) * f);
            }
        }
    }
}
