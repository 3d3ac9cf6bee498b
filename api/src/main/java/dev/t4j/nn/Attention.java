package dev.t4j.nn;

import dev.t4j.backend.Backend;
import dev.t4j.backend.DropoutMask;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;

/**
 * The attention arithmetic every family shares: splitting heads, additive masks, and softmax(q k^T * scale +
 * bias) v. This is the plain path that materialises the [B, h, Tq, Tk] scores; it is the reference a fused
 * kernel is tested against.
 */
public final class Attention {
    /** The smallest float32, as Hugging Face masks: fully masked rows stay finite instead of becoming NaN. */
    public static final double MASK_VALUE = -Float.MAX_VALUE;

    private Attention() {}

    /** [B, T, h * d] -> [B, h, T, d] (a view). */
    public static Tensor splitHeads(Tensor x, int heads) {
        int b = x.size(0);
        int t = x.size(1);
        int c = x.size(2);
        if (c % heads != 0) {
            throw new IllegalArgumentException("width " + c + " is not divisible by " + heads + " heads");
        }
        return x.reshape(b, t, heads, c / heads).transpose(1, 2);
    }

    /** [B, h, T, d] -> [B, T, h * d]. */
    public static Tensor mergeHeads(Tensor x) {
        int b = x.size(0);
        int h = x.size(1);
        int t = x.size(2);
        int d = x.size(3);
        return x.transpose(1, 2).reshape(b, t, h * d);
    }

    /**
     * softmax(q k^T * scale + bias) v, with {@code dropout} (null, or a module in evaluation mode: none) on the
     * probabilities; bias broadcasts to [B, h, Tq, Tk] and may be null. Runs as the fused {@link Tensor#attention},
     * which never holds the [B, h, Tq, Tk] scores, probabilities or their gradients (its kernel draws a dropout mask
     * from a seed, see {@link DropoutMask}; a bias that needs a gradient, as T5's learned position bias while
     * training, gets the scores' gradient written once), when either the backend says its fused kernel is the faster
     * one for these sizes ({@link dev.t4j.backend.Backend#fusedAttentionFaster}) or the scores would take more memory
     * than {@link dev.t4j.backend.Backend#fuseAttentionAboveBytes}. Both paths drop the same probabilities. Measured on
     * CPU (BENCHMARKS.md): from 128 to 2,048 tokens the fused path is faster both ways and holds 32-127x less at 512
     * and above. On an H200 the materialising path (cuBLAS) is the faster one.
     * {@code -Dt4j.attention=fused|materialised} forces either.
     */
    public static Tensor scaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, Dropout dropout) {
        DropoutMask drop = dropout == null ? null : dropout.forAttention();
        return fused(q.backend(), q.size(0), q.size(1), q.size(2), k.size(2))
                ? Tensor.attention(q, k, v, bias, scale, drop) : materialised(q, k, v, bias, scale, drop);
    }

    /**
     * {@link #scaledDotProduct} of the q, k and v that one projection qkv [B, T, 3 * heads * d] holds side by side
     * (GPT-2's c_attn), each split into heads: out [B, heads, T, d]. The fused path takes qkv whole and gives it its
     * gradient whole ({@link Tensor#attentionPacked}); the materialising one splits it.
     */
    public static Tensor scaledDotProductPacked(Tensor qkv, int heads, Tensor bias, double scale, Dropout dropout) {
        int t = qkv.size(1);
        if (fused(qkv.backend(), qkv.size(0), heads, t, t)) {
            return Tensor.attentionPacked(qkv, heads, bias, scale, dropout == null ? null : dropout.forAttention());
        }
        int c = qkv.size(2) / 3;
        return scaledDotProduct(splitHeads(qkv.narrow(2, 0, c), heads), splitHeads(qkv.narrow(2, c, c), heads),
                splitHeads(qkv.narrow(2, 2 * c, c), heads), bias, scale, dropout);
    }

    /** Whether the fused kernel serves [b, heads, tq, tk] scores (see {@link #scaledDotProduct}). */
    private static boolean fused(Backend on, int b, int heads, int tq, int tk) {
        return switch (System.getProperty("t4j.attention", "auto")) {
            case "fused" -> true;
            case "materialised" -> false;
            // one query row at a time (a decoding step) is a matrix-vector product: the materialising path has those
            default -> on.fusedAttentionFaster(tq, tk) || (long) b * heads * tq * tk * 4 > on.fuseAttentionAboveBytes();
        };
    }

    /**
     * The plain path: the [B, h, Tq, Tk] scores and probabilities (and the dropout mask, null: none) in memory. The
     * reference for the fused one.
     */
    public static Tensor materialised(Tensor q, Tensor k, Tensor v, Tensor bias, double scale,
            DropoutMask dropout) {
        // the scale goes on q, not on the scores: a pass over [B, h, Tq, d] instead of [B, h, Tq, Tk] (8x fewer
        // elements at 512 tokens and head size 64), both ways; exact when the scale is a power of two (head size 64)
        Tensor scores = (scale != 1 ? q.mul(scale) : q).matmul(k.mT()); // (B, h, Tq, Tk)
        if (bias != null) {
            scores = scores.add(bias);
        }
        Tensor p = scores.softmax(-1);
        if (dropout != null) {
            p = p.dropout(dropout);
        }
        return p.matmul(v); // (B, h, Tq, d)
    }

    /** [B, Tk] of 1 (attend) / 0 (padding) -> additive [B, 1, 1, Tk] of 0 / MASK_VALUE, float32. */
    public static Tensor paddingBias(Tensor attentionMask) {
        var on = attentionMask.backend(); // the mask's backend, whatever the default is
        Tensor padded = attentionMask.eq(Tensor.full(on, attentionMask.dtype(), 0, 1));
        return Tensor.where(padded, Tensor.full(on, DType.F32, MASK_VALUE, 1), Tensor.full(on, DType.F32, 0, 1))
                .unsqueeze(1).unsqueeze(1);
    }

    /** Additive [Tq, past + Tq] bias hiding keys after each query (query i sits at position past + i). */
    public static Tensor causalBias(int past, int t) {
        Tensor queryPos = Tensor.arange(past, past + t, 1);
        Tensor keyPos = Tensor.arange(0, past + t, 1);
        Tensor future = keyPos.unsqueeze(0).gt(queryPos.unsqueeze(1));
        return Tensor.where(future, Tensor.full(MASK_VALUE, 1), Tensor.zeros(1));
    }
}
