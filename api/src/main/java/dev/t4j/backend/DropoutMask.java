package dev.t4j.backend;

import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The mask of one dropout call, p of the values zeroed and the rest scaled by 1 / (1 - p), as a pure function of
 * (seed, row, column): a kernel draws it where it needs it and draws it again in the backward pass instead of
 * keeping it (the counter-based RNG of FlashAttention's dropout; PyTorch's uses Philox). Every backend computes the
 * same mask from this definition, so fused and composed paths drop the same values, and a tensor's mask costs no
 * memory and no host loop.
 *
 * <p>The definition, for a tensor [..., C] seen as rows of C (attention probabilities [B, H, Tq, Tk]: row
 * (b * H + h) * Tq + i, column the key): {@link #rowKey} mixes the row with the seed (SplitMix64's finaliser),
 * {@link #bits} hashes the column under that key (MurmurHash3's 32-bit finaliser), and the value is kept when the
 * top 24 bits are at least {@link #threshold} = round(p 2^24).
 */
public record DropoutMask(double p, long seed) {
    public DropoutMask {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in (0, 1) for a mask, got " + p);
        }
    }

    /** The 24-bit value below which a value is dropped. */
    public int threshold() {
        return (int) Math.round(p * (1 << 24));
    }

    /** What a kept value is multiplied by: 1 / (1 - p). */
    public float keepScale() {
        return (float) (1 / (1 - p));
    }

    /** The 32-bit key of row {@code row}. */
    public int rowKey(long row) {
        long z = seed + (row + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) (z ^ (z >>> 31));
    }

    /** The random bits of column {@code col} in the row of {@code rowKey}. */
    public static int bits(int rowKey, int col) {
        int h = rowKey ^ (col * 0x9E3779B9);
        h = (h ^ (h >>> 16)) * 0x85EBCA6B;
        h = (h ^ (h >>> 13)) * 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    /** Whether the value at (row, col) is kept. */
    public boolean keeps(long row, int col) {
        return bits(rowKey(row), col) >>> 8 >= threshold();
    }

    /**
     * The mask as a float32 tensor of {@code shape} holding 0 and {@link #keepScale} on {@code backend}, for the
     * composed paths: drawn on the host, one value per element.
     */
    public Tensor tensor(Backend backend, int... shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a dropout mask of " + n + " values (shape "
                    + java.util.Arrays.toString(shape) + ") is too large to materialise on the host");
        }
        int cols = shape.length == 0 ? 1 : shape[shape.length - 1];
        float[] m = new float[(int) n];
        int threshold = threshold();
        float keep = keepScale();
        long rows = cols == 0 ? 0 : n / cols;
        for (long row = 0; row < rows; row++) {
            int key = rowKey(row);
            int at = (int) (row * cols);
            for (int j = 0; j < cols; j++) {
                m[at + j] = bits(key, j) >>> 8 >= threshold ? keep : 0f;
            }
        }
        return Tensor.upload(backend, DType.F32, MemorySegment.ofArray(m), n, shape);
    }
}
