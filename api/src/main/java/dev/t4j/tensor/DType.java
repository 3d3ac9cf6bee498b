package dev.t4j.tensor;

/**
 * Element types. Compute happens in {@link #F32} (and {@link #F64} for gradient checks); {@link #F16} and
 * {@link #BF16} are storage formats for weights; {@link #I32} and {@link #I64} hold token ids and indices;
 * {@link #BOOL} holds masks, one byte per element.
 */
public enum DType {
    F32(4, true), F64(8, true), F16(2, true), BF16(2, true), I32(4, false), I64(8, false), BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floating;
    }

    /**
     * The type two floating-point operands are computed in, as PyTorch promotes them: the wider one (F64 over F32
     * over the 16-bit formats), and F32 for F16 with BF16, neither of which holds the other.
     */
    public static DType promote(DType a, DType b) {
        if (a == b) {
            return a;
        }
        if (!a.floating || !b.floating) {
            throw new IllegalArgumentException("no promotion between " + a + " and " + b + "; convert with to(DType)");
        }
        if (a == F64 || b == F64) {
            return F64;
        }
        return F32;
    }

    /** The name safetensors uses for this type ("F32", "BF16", "I64", "BOOL"). */
    public String safetensorsName() {
        return name();
    }

    /** Rounds a float to the nearest bfloat16 (ties to even), returned as its 16 raw bits. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40); // keep NaN a (quiet) NaN
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float bf16ToFloat(short raw) {
        return Float.intBitsToFloat((raw & 0xffff) << 16);
    }
}
