package dev.t4j.nn;

import dev.t4j.tensor.DType;

/**
 * The element type that modules built on this thread store their weight matrices in: float32 by default, or
 * bfloat16 / float16 for inference, halving the bytes each generated token must stream from memory. Activations,
 * accumulation, and 1-D parameters (biases, norm scales) stay float32; matrix products widen the 16-bit weights as
 * they read them. Like Hugging Face's {@code torch_dtype}, it applies while a model is built (and loaded):
 *
 * <pre>{@code try (var w = WeightStorage.set(DType.BF16)) { model = GPT2Checkpoint.load(dir); } }</pre>
 *
 * Such a model is for inference: a product with a 16-bit weight refuses to record a gradient for it. The CPU
 * runtime widens bfloat16 in its vector kernels; float16 weights are correct everywhere but run on the scalar
 * reference path there. F64 stores
 * every parameter (vectors too) in float64: that is for checking gradients against finite differences.
 */
public final class WeightStorage {
    private static final ThreadLocal<DType[]> TYPE = ThreadLocal.withInitial(() -> new DType[] {DType.F32});

    private WeightStorage() {}

    /** The type for weight matrices (parameters of two or more dimensions; all parameters when F64) built now. */
    public static DType current() {
        return TYPE.get()[0];
    }

    /** Stores weight matrices as {@code type} until the returned handle is closed, then restores what was there. */
    public static Restore set(DType type) {
        if (type != DType.F32 && type != DType.BF16 && type != DType.F16 && type != DType.F64) {
            throw new IllegalArgumentException("weights can be stored as F32, BF16, F16 or F64, not " + type);
        }
        DType[] cell = TYPE.get();
        DType previous = cell[0];
        cell[0] = type;
        return () -> cell[0] = previous;
    }

    /** Parses a user's name for the type: float32/fp32/f32, bfloat16/bf16, float16/fp16/f16/half. */
    public static DType parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "fp32", "f32" -> DType.F32;
            case "bfloat16", "bf16" -> DType.BF16;
            case "float16", "fp16", "f16", "half" -> DType.F16;
            default -> throw new IllegalArgumentException("unknown weight type '" + name
                    + "'; use float32, bfloat16 or float16");
        };
    }

    /** Restores the previous type; closing twice is harmless. */
    @FunctionalInterface
    public interface Restore extends AutoCloseable {
        @Override
        void close();
    }
}
