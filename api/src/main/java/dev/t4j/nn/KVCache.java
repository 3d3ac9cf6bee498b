package dev.t4j.nn;

import dev.t4j.tensor.Tensor;

/**
 * The keys and values of the tokens a decoder has seen, per layer, in buffers [B, heads, capacity, headDim] filled
 * from the front: generating a token costs one query against the cached keys instead of re-running the prefix.
 * A step appends its tokens' keys and values in every layer ({@link #append}), then {@link #advance}s once.
 */
public final class KVCache {
    private final Tensor[] keys;
    private final Tensor[] values;
    private int length;

    public KVCache(int layers, int batch, int heads, int capacity, int headDim) {
        this(layers, batch, heads, capacity, headDim, dev.t4j.tensor.DType.F32);
    }

    /** Buffers of {@code dtype}: the keys' and values' own type (float64 in gradient checks). */
    public KVCache(int layers, int batch, int heads, int capacity, int headDim, dev.t4j.tensor.DType dtype) {
        keys = new Tensor[layers];
        values = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = Tensor.zeros(dtype, batch, heads, capacity, headDim);
            values[l] = Tensor.zeros(dtype, batch, heads, capacity, headDim);
        }
    }

    /** Tokens cached so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return keys[0].size(2);
    }

    /** Fails, naming the sizes, when {@code tokens} more do not fit. */
    public void checkRoom(int tokens) {
        if (length + tokens > capacity()) {
            throw new IllegalArgumentException("the key/value cache holds " + capacity() + " tokens; " + (length + tokens)
                    + " were needed");
        }
    }

    /**
     * Writes this step's keys and values [B, heads, t, headDim] of {@code layer} after the cached ones and returns
     * {keys, values}: views of every position so far, cached and new.
     */
    public Tensor[] append(int layer, Tensor k, Tensor v) {
        int t = k.size(2);
        keys[layer].narrow(2, length, t).copy_(k);
        values[layer].narrow(2, length, t).copy_(v);
        return new Tensor[] {keys[layer].narrow(2, 0, length + t), values[layer].narrow(2, 0, length + t)};
    }

    /** Ends a step of {@code t} tokens (after every layer appended them). */
    public void advance(int t) {
        checkRoom(t);
        length += t;
    }

    /** Beam search: row b of every buffer becomes the old row {@code parents[b]}. */
    public void reorder(int[] parents) {
        Tensor order = Tensor.of(java.util.Arrays.stream(parents).asLongStream().toArray(), parents.length);
        for (int l = 0; l < keys.length; l++) {
            keys[l].copy_(keys[l].indexSelect(0, order));
            values[l].copy_(values[l].indexSelect(0, order));
        }
    }
}
