package dev.t4j.t5;

import dev.t4j.backend.UnaryOp;
import dev.t4j.nn.Attention;
import dev.t4j.nn.Dropout;
import dev.t4j.nn.Embedding;
import dev.t4j.nn.KVCache;
import dev.t4j.nn.Linear;
import dev.t4j.nn.Module;
import dev.t4j.nn.ModuleList;
import dev.t4j.nn.RMSNorm;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.List;

/**
 * T5 (Raffel et al. 2020) as Hugging Face's T5ForConditionalGeneration: one embedding table shared by encoder,
 * decoder and (when tied) the LM head; pre-norm blocks with RMS layer norms; attention without score scaling,
 * biased by learned relative-position buckets computed in the first block of each stack and reused by the others
 * (none in cross-attention); a ReLU or gated-GELU feed-forward; logits rescaled by d_model^-0.5 when tied.
 */
public final class T5ForConditionalGeneration extends Module {
    public final T5Config config;
    public final Embedding shared;
    public final T5Stack encoder;
    public final T5Stack decoder;
    private final Linear lmHead; // null when tied to shared

    public T5ForConditionalGeneration(T5Config c, Generator gen) {
        this.config = c;
        shared = child("shared", new Embedding(c.vocabSize(), c.dModel(), gen, 1.0));
        encoder = child("encoder", new T5Stack(c, false, shared, gen));
        decoder = child("decoder", new T5Stack(c, true, shared, gen));
        lmHead = c.tieWordEmbeddings() ? null
                : child("lm_head", new Linear(c.dModel(), c.vocabSize(), false, Linear.Layout.OUT_IN, gen, 1.0));
        if (c.tieWordEmbeddings()) {
            child("lm_head", new Tied(shared.weight()));
        }
    }

    private static final class Tied extends Module {
        Tied(Tensor weight) {
            tie("weight", weight);
        }
    }

    public record Output(Tensor logits, Tensor encoderOutput, List<Tensor> encoderHidden, List<Tensor> decoderHidden) {}

    /**
     * Encoder ids [B, S] with mask [B, S] (null: all real), decoder ids [B, L] -> logits [B, L, vocab]; collects
     * HF's hidden states of both stacks when the lists are not null.
     */
    public Output forward(Tensor inputIds, Tensor attentionMask, Tensor decoderInputIds, List<Tensor> encoderHidden,
            List<Tensor> decoderHidden) {
        Tensor encoderOut = encoder.forward(inputIds, attentionMask, null, null, encoderHidden, null);
        return new Output(logits(decoder.forward(decoderInputIds, null, encoderOut, attentionMask, decoderHidden, null)),
                encoderOut, encoderHidden, decoderHidden);
    }

    /** The encoder's output [B, S, d_model] for ids [B, S] and mask [B, S] (null: all real). */
    public Tensor encode(Tensor inputIds, Tensor attentionMask) {
        return encoder.forward(inputIds, attentionMask, null, null, null, null);
    }

    /**
     * Logits [B, t, vocab] for the next {@code t} decoder tokens, continuing what {@code cache} holds: self-attention
     * keys and values are appended to it, and the cross-attention keys and values of the encoder output are computed
     * on the first call and reused after.
     */
    public Tensor decodeStep(Tensor decoderIds, Tensor encoderOut, Tensor encoderMask, Cache cache) {
        return logits(decoder.forward(decoderIds, null, encoderOut, encoderMask, null, cache));
    }

    /** An empty decoder cache for {@code batch} sequences of up to {@code capacity} decoder tokens. */
    public Cache newCache(int batch, int capacity) {
        return new Cache(config, batch, capacity);
    }

    /**
     * The decoder's state between steps: per layer, self-attention keys/values [B, h, capacity, d_kv] filled from the
     * front, and the cross-attention keys/values of the encoder output.
     */
    /** The decoder's self-attention keys and values, and the cross-attention ones computed on the first step. */
    public static final class Cache {
        final KVCache self;
        final Tensor[] crossKeys;
        final Tensor[] crossValues;
        final Scope owner;

        Cache(T5Config c, int batch, int capacity) {
            owner = Scope.current();
            int layers = c.numDecoderLayers();
            self = new KVCache(layers, batch, c.numHeads(), capacity, c.dKv());
            crossKeys = new Tensor[layers];
            crossValues = new Tensor[layers];
        }

        public int length() {
            return self.length();
        }

        public int capacity() {
            return self.capacity();
        }

        /** Beam search: row b of the self-attention cache becomes the old row {@code parents[b]}. */
        void reorder(int[] parents) {
            self.reorder(parents);
        }
    }

    Tensor logits(Tensor decoderOut) {
        if (lmHead != null) {
            return lmHead.forward(decoderOut);
        }
        return decoderOut.mul(Math.pow(config.dModel(), -0.5)).matmul(shared.weight().mT()); // (B, L, vocab)
    }

    /** Decoder inputs for teacher forcing: labels shifted right after decoder_start_token_id, -100 -> pad. */
    public Tensor shiftRight(Tensor labels) {
        long[] l = labels.toLongArray();
        int b = labels.size(0);
        int t = labels.size(1);
        long[] out = new long[b * t];
        for (int i = 0; i < b; i++) {
            out[i * t] = config.decoderStartTokenId();
            for (int j = 1; j < t; j++) {
                long v = l[i * t + j - 1];
                out[i * t + j] = v == -100 ? config.padTokenId() : v;
            }
        }
        return Tensor.of(out, b, t);
    }

    /** One stack (encoder or decoder): embed, blocks, final RMS norm. */
    public static final class T5Stack extends Module {
        private final Embedding embedTokens;
        private final ModuleList<T5Block> block;
        private final RMSNorm finalLayerNorm;
        private final Dropout dropout;
        private final boolean isDecoder;

        T5Stack(T5Config c, boolean isDecoder, Embedding shared, Generator gen) {
            this.isDecoder = isDecoder;
            embedTokens = shared;
            child("embed_tokens", new Tied(shared.weight()));
            block = child("block", new ModuleList<>());
            int n = isDecoder ? c.numDecoderLayers() : c.numLayers();
            for (int i = 0; i < n; i++) {
                block.add(new T5Block(c, isDecoder, i == 0, gen));
            }
            finalLayerNorm = child("final_layer_norm", new RMSNorm(c.dModel(), c.layerNormEpsilon()));
            dropout = child("dropout", new Dropout(c.dropoutRate(), gen));
        }

        Tensor forward(Tensor ids, Tensor mask, Tensor encoderOut, Tensor encoderMask, List<Tensor> hidden,
                Cache cache) {
            int t = ids.size(1);
            int past = cache == null ? 0 : cache.length();
            if (cache != null) {
                cache.self.checkRoom(t);
            }
            Tensor x = embedTokens.forward(ids); // (B, T, d_model)
            if (hidden != null) {
                hidden.add(x);
            }
            x = dropout.forward(x);
            // position bias from block 0, shared by every block of the stack; masks folded in once
            Tensor bias = block.get(0).layer0Attention().positionBias(past, t, past + t); // (1, h, T, past+T)
            if (isDecoder) {
                bias = bias.add(Attention.causalBias(past, t));
            }
            if (mask != null) {
                bias = bias.add(Attention.paddingBias(mask));
            }
            Tensor crossBias = encoderMask == null ? null : Attention.paddingBias(encoderMask);
            for (int i = 0; i < block.size(); i++) {
                x = block.get(i).forward(x, bias, encoderOut, crossBias, cache, i, past);
                if (hidden != null && i < block.size() - 1) {
                    hidden.add(x);
                }
            }
            if (cache != null) {
                cache.self.advance(t);
            }
            x = finalLayerNorm.forward(x);
            if (hidden != null) {
                hidden.add(x);
            }
            return dropout.forward(x);
        }
    }

    /** layer.0 self-attention, (decoder) layer.1 cross-attention, last layer the feed-forward. */
    public static final class T5Block extends Module {
        private final ModuleList<Module> layer;
        private final T5LayerAttention self;
        private final T5LayerAttention cross;
        private final T5LayerFF ff;

        T5Block(T5Config c, boolean isDecoder, boolean hasBias, Generator gen) {
            layer = child("layer", new ModuleList<>());
            self = (T5LayerAttention) layer.add(new T5LayerAttention(c, "SelfAttention", hasBias, !isDecoder, gen));
            cross = isDecoder ? (T5LayerAttention) layer.add(new T5LayerAttention(c, "EncDecAttention", false, false, gen))
                    : null;
            ff = (T5LayerFF) layer.add(new T5LayerFF(c, gen));
        }

        T5Attention layer0Attention() {
            return self.attention;
        }

        Tensor forward(Tensor x, Tensor selfBias, Tensor encoderOut, Tensor crossBias, Cache cache, int layer, int past) {
            x = self.forward(x, null, selfBias, cache, layer, past, true);
            if (cross != null) {
                x = cross.forward(x, encoderOut, crossBias, cache, layer, past, false);
            }
            return ff.forward(x);
        }
    }

    /** x + dropout(attention(layer_norm(x), memory)). */
    static final class T5LayerAttention extends Module {
        final T5Attention attention;
        private final RMSNorm layerNorm;
        private final Dropout dropout;

        T5LayerAttention(T5Config c, String name, boolean hasBias, boolean bidirectional, Generator gen) {
            attention = child(name, new T5Attention(c, hasBias, bidirectional, gen));
            layerNorm = child("layer_norm", new RMSNorm(c.dModel(), c.layerNormEpsilon()));
            dropout = child("dropout", new Dropout(c.dropoutRate(), gen));
        }

        Tensor forward(Tensor x, Tensor memory, Tensor bias, Cache cache, int layer, int past, boolean self) {
            Tensor h = layerNorm.forward(x);
            return x.add(dropout.forward(attention.forward(h, memory == null ? h : memory, bias, cache, layer, past, self)));
        }
    }

    /** q, k, v, o without biases; scores unscaled; relative_attention_bias in the first block only. */
    static final class T5Attention extends Module {
        private final Linear q;
        private final Linear k;
        private final Linear v;
        private final Linear o;
        private final Embedding relativeAttentionBias;
        private final Dropout dropout;
        private final T5Config config;
        private final boolean bidirectional;

        T5Attention(T5Config c, boolean hasBias, boolean bidirectional, Generator gen) {
            this.config = c;
            this.bidirectional = bidirectional;
            double std = Math.pow(c.dModel() * c.dKv(), -0.5);
            q = child("q", new Linear(c.dModel(), c.inner(), false, Linear.Layout.OUT_IN, gen, std));
            k = child("k", new Linear(c.dModel(), c.inner(), false, Linear.Layout.OUT_IN, gen, Math.pow(c.dModel(), -0.5)));
            v = child("v", new Linear(c.dModel(), c.inner(), false, Linear.Layout.OUT_IN, gen, Math.pow(c.dModel(), -0.5)));
            o = child("o", new Linear(c.inner(), c.dModel(), false, Linear.Layout.OUT_IN, gen, Math.pow(c.inner(), -0.5)));
            relativeAttentionBias = hasBias ? child("relative_attention_bias",
                    new Embedding(c.relativeAttentionNumBuckets(), c.numHeads(), gen, Math.pow(c.dModel(), -0.5))) : null;
            dropout = child("dropout", new Dropout(c.dropoutRate(), gen));
        }

        /**
         * With a cache: self-attention ({@code self}) writes the new keys and values at positions past.. and attends
         * over all cached ones; cross-attention computes the keys and values of {@code memory} on the first step,
         * in the cache's own scope so they outlive the step, and reuses them after.
         */
        Tensor forward(Tensor x, Tensor memory, Tensor bias, Cache cache, int layer, int past, boolean self) {
            int h = config.numHeads();
            Tensor qh = Attention.splitHeads(q.forward(x), h); // (B, h, Tq, d_kv)
            Tensor kh;
            Tensor vh;
            if (cache != null && !self && cache.crossKeys[layer] != null) {
                kh = cache.crossKeys[layer];
                vh = cache.crossValues[layer];
            } else {
                kh = Attention.splitHeads(k.forward(memory), h); // (B, h, Tk, d_kv)
                vh = Attention.splitHeads(v.forward(memory), h);
            }
            if (cache != null && self) {
                Tensor[] kv = cache.self.append(layer, kh, vh);
                kh = kv[0];
                vh = kv[1];
            } else if (cache != null && cache.crossKeys[layer] == null) {
                Tensor keys = kh;
                Tensor values = vh;
                cache.crossKeys[layer] = Scope.within(cache.owner, keys::copy);
                cache.crossValues[layer] = Scope.within(cache.owner, values::copy);
            }
            Tensor y = Attention.scaledDotProduct(qh, kh, vh, bias, 1, dropout); // T5 does not scale scores
            return o.forward(Attention.mergeHeads(y));
        }

        /** The learned bias [1, h, Tq, Tk] for query positions start..start+Tq-1 and key positions 0..Tk-1. */
        Tensor positionBias(int start, int queries, int keys) {
            if (relativeAttentionBias == null) {
                throw new IllegalStateException("only the first block of a stack has relative_attention_bias");
            }
            // a bias depends only on key - query: one bucket and one lookup per distinct distance (Q + K - 1 of
            // them), then each query's row is a window of that table. A bucket per entry cost ~2 % of a 512-token
            // encode; a lookup per entry and the permute to heads-first, another 2.5 %.
            int minRelative = -(start + queries - 1);
            long[] byRelative = new long[keys - minRelative];
            for (int r = minRelative; r < keys; r++) {
                byRelative[r - minRelative] = RelativePosition.bucket(r, bidirectional,
                        config.relativeAttentionNumBuckets(), config.relativeAttentionMaxDistance());
            }
            Tensor byDistance = relativeAttentionBias.forward(Tensor.of(byRelative, byRelative.length)).mT()
                    .contiguous(); // (h, Q + K - 1)
            Tensor[] rows = new Tensor[queries];
            for (int i = 0; i < queries; i++) { // query start + i sees distances -(start + i) .. keys - 1 - (start + i)
                rows[i] = byDistance.narrow(1, -(start + i) - minRelative, keys);
            }
            int heads = byDistance.size(0);
            return Tensor.cat(1, rows).reshape(1, heads, queries, keys); // (h, Tq * Tk) is (1, h, Tq, Tk)
        }
    }

    /** x + dropout(DenseReluDense(layer_norm(x))). */
    static final class T5LayerFF extends Module {
        private final Linear wi;
        private final Linear wi0;
        private final Linear wi1;
        private final Linear wo;
        private final Dropout innerDropout;
        private final RMSNorm layerNorm;
        private final Dropout dropout;
        private final T5Config config;

        T5LayerFF(T5Config c, Generator gen) {
            this.config = c;
            Holder dense = child("DenseReluDense", new Holder());
            double inStd = Math.pow(c.dModel(), -0.5);
            if (c.gated()) {
                wi = null;
                wi0 = dense.add("wi_0", new Linear(c.dModel(), c.dFf(), false, Linear.Layout.OUT_IN, gen, inStd));
                wi1 = dense.add("wi_1", new Linear(c.dModel(), c.dFf(), false, Linear.Layout.OUT_IN, gen, inStd));
            } else {
                wi = dense.add("wi", new Linear(c.dModel(), c.dFf(), false, Linear.Layout.OUT_IN, gen, inStd));
                wi0 = null;
                wi1 = null;
            }
            wo = dense.add("wo", new Linear(c.dFf(), c.dModel(), false, Linear.Layout.OUT_IN, gen, Math.pow(c.dFf(), -0.5)));
            innerDropout = dense.add("dropout", new Dropout(c.dropoutRate(), gen));
            layerNorm = child("layer_norm", new RMSNorm(c.dModel(), c.layerNormEpsilon()));
            dropout = child("dropout", new Dropout(c.dropoutRate(), gen));
        }

        Tensor forward(Tensor x) {
            Tensor h = layerNorm.forward(x);
            Tensor inner = switch (config.feedForwardProj()) {
                case "relu" -> wi.forward(h, UnaryOp.RELU);
                case "gelu" -> wi.forward(h, UnaryOp.GELU_TANH);
                case "gated-gelu" -> wi0.forward(h, UnaryOp.GELU_TANH).mul(wi1.forward(h)); // HF: gated-gelu is gelu_new
                case "gated-relu" -> wi0.forward(h, UnaryOp.RELU).mul(wi1.forward(h));
                default -> throw new IllegalStateException(config.feedForwardProj());
            };
            return x.add(dropout.forward(wo.forward(innerDropout.forward(inner))));
        }
    }

    static final class Holder extends Module {
        <M extends Module> M add(String name, M m) {
            return child(name, m);
        }
    }
}
