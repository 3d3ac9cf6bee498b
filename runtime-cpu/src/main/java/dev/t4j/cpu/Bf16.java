package dev.t4j.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Widening bfloat16 to float32 as it is read: a bfloat16 is the top half of a float32, so V of them load as one
 * half-width vector of shorts, widen to ints and shift into the high half. Matrix products read 16-bit weights this
 * way, streaming half the bytes of float32 weights.
 */
final class Bf16 {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    private static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class,
            VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    private static final ValueLayout.OfShort RAW = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private Bf16() {}

    /** V float32 values widened from the V bfloat16 values at element index {@code at} of {@code seg}. */
    static FloatVector load(MemorySegment seg, long at) {
        ShortVector raw = ShortVector.fromMemorySegment(HALF, seg, at * 2, NATIVE);
        IntVector wide = (IntVector) raw.convertShape(VectorOperators.ZERO_EXTEND_S2I, INTS, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** One bfloat16 value at element index {@code at}, widened. */
    static float get(MemorySegment seg, long at) {
        return Float.intBitsToFloat((seg.getAtIndex(RAW, at) & 0xffff) << 16);
    }

    /** {@code n} values from element index {@code at} widened into {@code dst[off, off + n)}. */
    static void copy(MemorySegment seg, long at, float[] dst, int off, int n) {
        int i = 0;
        for (; i + V <= n; i += V) {
            load(seg, at + i).intoArray(dst, off + i);
        }
        for (; i < n; i++) {
            dst[off + i] = get(seg, at + i);
        }
    }
}
