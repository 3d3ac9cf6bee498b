package dev.t4j.backend.host;

import dev.t4j.memory.HostStorage;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Element access to host tensors of any type, as double: the slow, general path every host kernel can use. */
public final class HostAccess {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private HostAccess() {}

    /** The host memory of a tensor, checked for release; fails clearly for tensors of other devices. */
    public static MemorySegment segment(Tensor t) {
        if (!(t.storage() instanceof HostStorage hs)) {
            throw new IllegalArgumentException("a host backend was given a tensor on " + t.device()
                    + "; move it with to(backend) first");
        }
        return hs.segment();
    }

    /** Element {@code index} (in elements from the start of the storage). */
    public static double get(MemorySegment seg, DType dtype, long index) {
        return switch (dtype) {
            case F32 -> seg.get(F32, index * 4);
            case F64 -> seg.get(F64, index * 8);
            case F16 -> Float.float16ToFloat(seg.get(I16, index * 2));
            case BF16 -> DType.bf16ToFloat(seg.get(I16, index * 2));
            case I32 -> seg.get(I32, index * 4);
            case I64 -> seg.get(I64, index * 8);
            case BOOL -> seg.get(ValueLayout.JAVA_BYTE, index) != 0 ? 1 : 0;
        };
    }

    public static long getLong(MemorySegment seg, DType dtype, long index) {
        return switch (dtype) {
            case I64 -> seg.get(I64, index * 8);
            case I32 -> seg.get(I32, index * 4);
            default -> (long) get(seg, dtype, index);
        };
    }

    public static void set(MemorySegment seg, DType dtype, long index, double v) {
        switch (dtype) {
            case F32 -> seg.set(F32, index * 4, (float) v);
            case F64 -> seg.set(F64, index * 8, v);
            case F16 -> seg.set(I16, index * 2, Float.floatToFloat16((float) v));
            case BF16 -> seg.set(I16, index * 2, DType.floatToBf16((float) v));
            case I32 -> seg.set(I32, index * 4, (int) v);
            case I64 -> seg.set(I64, index * 8, (long) v);
            case BOOL -> seg.set(ValueLayout.JAVA_BYTE, index, (byte) (v != 0 ? 1 : 0));
        }
    }

    public static void setLong(MemorySegment seg, DType dtype, long index, long v) {
        switch (dtype) {
            case I64 -> seg.set(I64, index * 8, v);
            case I32 -> seg.set(I32, index * 4, (int) v);
            default -> set(seg, dtype, index, v);
        }
    }

    /** Storage index of the element at {@code idx} (a full coordinate) of {@code t}. */
    public static long offsetOf(Tensor t, int[] idx) {
        int[] st = t.strides();
        long o = t.offset();
        for (int i = 0; i < idx.length; i++) {
            o += (long) idx[i] * st[i];
        }
        return o;
    }

    /** Advances a row-major coordinate; false after the last one. */
    public static boolean next(int[] idx, int[] shape) {
        for (int i = shape.length - 1; i >= 0; i--) {
            if (++idx[i] < shape[i]) {
                return true;
            }
            idx[i] = 0;
        }
        return false;
    }
}
