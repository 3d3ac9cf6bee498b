package dev.t4j.nn;

import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;

/**
 * Multi-head attention as one module, for self- and cross-attention: query, key, value and output projections
 * (torch nn.Linear orientation, child names configurable so that a checkpoint's keys are the module's own), additive
 * padding masks and any additive bias broadcast to [B, heads, Tq, Tk] (T5's relative positions), a causal mask, the
 * score scale (1/sqrt(head size) unless given; T5 uses 1), dropout on the probabilities, and an incremental
 * key/value cache for generation. It runs {@link Attention#scaledDotProduct}, so long sequences take the fused path.
 *
 * <p>The three bundled families keep their own attention classes, whose parameter names follow Hugging Face's
 * Python classes (GPT-2's fused {@code c_attn}, BERT's {@code self}/{@code output} split); this module is for new
 * models and plugins.
 */
public final class MultiHeadAttention extends Module {
    /**
     * @param bias whether the projections have biases
     * @param scale the factor on q k^T; NaN for 1/sqrt(head size)
     * @param dropout the probability of dropping an attention probability while training
     */
    public record Options(boolean bias, double scale, double dropout, String query, String key, String value,
            String output) {
        public static Options defaults() {
            return new Options(true, Double.NaN, 0, "query", "key", "value", "output");
        }

        public Options withScale(double s) {
            return new Options(bias, s, dropout, query, key, value, output);
        }

        public Options withBias(boolean b) {
            return new Options(b, scale, dropout, query, key, value, output);
        }

        public Options withDropout(double p) {
            return new Options(bias, scale, p, query, key, value, output);
        }

        public Options withNames(String q, String k, String v, String o) {
            return new Options(bias, scale, dropout, q, k, v, o);
        }
    }

    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    private final Dropout dropout;
    private final int heads;
    private final double scale;

    /** Self-attention, or cross-attention over a context as wide as the queries. */
    public MultiHeadAttention(int width, int heads, Options o, Generator gen) {
        this(width, width, heads, o, gen);
    }

    /** Attention whose keys and values come from a context {@code contextWidth} wide (an encoder's states). */
    public MultiHeadAttention(int width, int contextWidth, int heads, Options o, Generator gen) {
        if (heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("width " + width + " is not divisible into " + heads + " heads");
        }
        double std = 1 / Math.sqrt(width);
        query = child(o.query(), new Linear(width, width, o.bias(), Linear.Layout.OUT_IN, gen, std));
        key = child(o.key(), new Linear(contextWidth, width, o.bias(), Linear.Layout.OUT_IN, gen, std));
        value = child(o.value(), new Linear(contextWidth, width, o.bias(), Linear.Layout.OUT_IN, gen, std));
        output = child(o.output(), new Linear(width, width, o.bias(), Linear.Layout.OUT_IN, gen, std));
        dropout = child("dropout", new Dropout(o.dropout(), gen)); // a child, so that eval() turns it off
        this.heads = heads;
        this.scale = Double.isNaN(o.scale()) ? 1 / Math.sqrt((double) width / heads) : o.scale();
    }

    public int heads() {
        return heads;
    }

    /** Self-attention over x [B, T, C]. */
    public Tensor forward(Tensor x) {
        return forward(x, null, null, false, null, 0);
    }

    /** Self-attention over x [B, T, C] with an additive bias (e.g. {@link Attention#paddingBias}) and/or causal. */
    public Tensor forward(Tensor x, Tensor bias, boolean causal) {
        return forward(x, null, bias, causal, null, 0);
    }

    /**
     * The general form. {@code context} [B, S, contextWidth] gives the keys and values (cross-attention), or null for
     * self-attention. {@code bias} is added to the scores, broadcast to [B, heads, Tq, Tk]; {@code causal} hides the
     * keys after each query. With a {@code cache} (self-attention only), this call's keys and values are appended
     * to layer {@code layer}'s and the queries attend to every cached position; the caller advances the cache once
     * all layers have run, as for the bundled decoders.
     */
    public Tensor forward(Tensor x, Tensor context, Tensor bias, boolean causal, KVCache cache, int layer) {
        if (cache != null && context != null) {
            throw new IllegalArgumentException("a key/value cache serves self-attention; cross-attention's keys and "
                    + "values come from the context and need no cache of steps");
        }
        Tensor source = context == null ? x : context;
        Tensor q = Attention.splitHeads(query.forward(x), heads); // (B, h, Tq, d)
        Tensor k = Attention.splitHeads(key.forward(source), heads); // (B, h, Tk, d)
        Tensor v = Attention.splitHeads(value.forward(source), heads);
        int past = 0;
        if (cache != null) {
            past = cache.length();
            cache.checkRoom(x.size(1));
            Tensor[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        if (causal) {
            Tensor mask = Attention.causalBias(past, x.size(1)).to(q.dtype()); // (Tq, past + Tq)
            bias = bias == null ? mask : bias.add(mask);
        }
        Tensor y = Attention.scaledDotProduct(q, k, v, bias, scale, dropout); // (B, h, Tq, d)
        return output.forward(Attention.mergeHeads(y)); // (B, Tq, C)
    }
}
