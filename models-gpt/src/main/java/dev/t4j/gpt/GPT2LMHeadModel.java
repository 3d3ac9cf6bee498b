package dev.t4j.gpt;

import dev.t4j.nn.Activations;
import dev.t4j.nn.Attention;
import dev.t4j.nn.Dropout;
import dev.t4j.nn.Embedding;
import dev.t4j.nn.LayerNorm;
import dev.t4j.nn.KVCache;
import dev.t4j.nn.Linear;
import dev.t4j.nn.Module;
import dev.t4j.nn.ModuleList;

import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2 (Radford et al. 2019) as Hugging Face's GPT2LMHeadModel, top to bottom: token and position embeddings,
 * n_layer pre-LN blocks of causal self-attention and an MLP, a final layer norm, and an LM head tied to the token
 * embedding. Class and field names follow HF, so a parameter's path is its checkpoint key
 * ({@code transformer.h.0.attn.c_attn.weight}); the Conv1D weights stay [in, out] as stored.
 */
public final class GPT2LMHeadModel extends Module {
    /** HF's mask value: the smallest float32, so fully masked rows stay finite (uniform) instead of NaN. */
    static final double MASK_VALUE = -Float.MAX_VALUE;

    public final GPT2Config config;
    public final GPT2Model transformer;

    public GPT2LMHeadModel(GPT2Config config, Generator gen) {
        this.config = config;
        this.transformer = child("transformer", new GPT2Model(config, gen));
        child("lm_head", new TiedHead(transformer.wte.weight()));
    }

    /** lm_head.weight is transformer.wte.weight: one tensor, so its gradient sums both uses. */
    private static final class TiedHead extends Module {
        TiedHead(Tensor weight) {
            tie("weight", weight);
        }
    }

    /** Logits and, when asked, the hidden states in HF's output_hidden_states convention. */
    public record Output(Tensor logits, List<Tensor> hiddenStates) {}

    /**
     * ids [B, T] (int64), attentionMask [B, T] (1 real, 0 padding; null for none) -> logits [B, T, vocab].
     */
    public Output forward(Tensor ids, Tensor attentionMask, boolean hiddenStates) {
        return forward(ids, attentionMask, hiddenStates, null);
    }

    /**
     * As {@link #forward(Tensor, Tensor, boolean)}, continuing the sequence held in {@code cache} (null: none):
     * the new tokens sit at positions cache.length() onwards, their keys and values are appended to the cache,
     * and attentionMask, when given, covers the cached tokens and the new ones ([B, past + T]).
     */
    public Output forward(Tensor ids, Tensor attentionMask, boolean hiddenStates, KVCache cache) {
        return forward(ids, attentionMask, hiddenStates, cache, null);
    }

    /**
     * With explicit position ids [B, T] (null: past .. past + T - 1 for every row): left-padded batches number each
     * row's real tokens from 0, as Hugging Face's generate does.
     */
    public Output forward(Tensor ids, Tensor attentionMask, boolean hiddenStates, KVCache cache, Tensor positionIds) {
        List<Tensor> hs = hiddenStates ? new ArrayList<>() : null;
        Tensor h = transformer.forward(ids, attentionMask, hs, cache, positionIds);
        Tensor logits = h.matmul(transformer.wte.weight().mT()); // (B, T, vocab)
        return new Output(logits, hs);
    }

    /**
     * The training loss without the logits: mean cross-entropy of the next tokens {@code targets} [B, T] (targets at
     * t follow ids at t; -100 is ignored) through {@link Tensor#linearCrossEntropy}, so the [B, T, vocab] logits and
     * their gradient are never in memory whole. Equal to {@code forward(ids, attentionMask, false).logits()
     * .crossEntropy(targets, -100)} up to float rounding; what {@code t4j pretrain gpt} trains with.
     */
    public Tensor loss(Tensor ids, Tensor attentionMask, Tensor targets) {
        Tensor h = transformer.forward(ids, attentionMask, null, null, null);
        return Tensor.linearCrossEntropy(h, transformer.wte.weight(), targets, -100);
    }

    /** An empty key/value cache for {@code batch} sequences of up to {@code capacity} tokens. */
    public KVCache newCache(int batch, int capacity) {
        if (capacity > config.nPositions()) {
            throw new IllegalArgumentException("a cache of " + capacity + " tokens exceeds the context of "
                    + config.nPositions() + " positions (n_positions)");
        }
        return new KVCache(config.nLayer(), batch, config.nHead(), capacity, config.headDim());
    }

    /** Mean next-token cross-entropy: logits at t predict labels at t+1; -100 labels are ignored. */
    public static Tensor causalLmLoss(Tensor logits, Tensor labels) {
        int t = logits.size(1);
        Tensor shifted = logits.narrow(1, 0, t - 1);
        Tensor targets = labels.narrow(1, 1, t - 1).contiguous();
        return shifted.crossEntropy(targets, -100);
    }

    public static final class GPT2Model extends Module {
        public final Embedding wte;
        public final Embedding wpe;
        private final Dropout drop;
        public final ModuleList<GPT2Block> h;
        public final LayerNorm lnF;
        private final GPT2Config config;

        GPT2Model(GPT2Config c, Generator gen) {
            this.config = c;
            wte = child("wte", new Embedding(c.vocabSize(), c.nEmbd(), gen, 0.02));
            wpe = child("wpe", new Embedding(c.nPositions(), c.nEmbd(), gen, 0.01));
            drop = child("drop", new Dropout(c.embdPdrop(), gen));
            h = child("h", new ModuleList<>());
            for (int i = 0; i < c.nLayer(); i++) {
                h.add(new GPT2Block(c, gen));
            }
            lnF = child("ln_f", new LayerNorm(c.nEmbd(), c.layerNormEpsilon()));
        }

        Tensor forward(Tensor ids, Tensor attentionMask, List<Tensor> hiddenStates, KVCache cache, Tensor positionIds) {
            int t = ids.size(1);
            int past = cache == null ? 0 : cache.length();
            if (past + t > config.nPositions()) {
                throw new IllegalArgumentException("sequence of " + (past + t) + " tokens exceeds the context of "
                        + config.nPositions() + " positions (n_positions)");
            }
            if (cache != null) {
                cache.checkRoom(t);
            }
            if (attentionMask != null && attentionMask.size(1) != past + t) {
                throw new IllegalArgumentException("attention mask covers " + attentionMask.size(1)
                        + " positions; expected " + (past + t) + " (cached + new)");
            }
            Tensor positions = positionIds == null ? wpe.weight().narrow(0, past, t) : wpe.forward(positionIds);
            Tensor x = wte.forward(ids).add(positions); // (B, T, C)
            Tensor mask = additiveMask(attentionMask, past, t);
            // GPT-3's alternating layers: the odd ones see only the most recent `window` positions
            int window = config.localAttentionWindow();
            Tensor localMask = window > 0 ? mask.add(bandMask(past, t, window)) : null;
            x = drop.forward(x);
            for (int l = 0; l < h.size(); l++) {
                if (hiddenStates != null) {
                    hiddenStates.add(x);
                }
                x = h.get(l).forward(x, config.isLocalLayer(l) ? localMask : mask, cache, l, past);
            }
            if (cache != null) {
                cache.advance(t);
            }
            x = lnF.forward(x);
            if (hiddenStates != null) {
                hiddenStates.add(x);
            }
            return x;
        }

        /** [T, past + T]: MASK_VALUE for keys {@code window} or more positions before their query. */
        static Tensor bandMask(int past, int t, int window) {
            Tensor queryPos = Tensor.arange(past, past + t, 1);
            Tensor keyPos = Tensor.arange(0, past + t, 1);
            Tensor far = queryPos.unsqueeze(1).sub(keyPos.unsqueeze(0)).ge(Tensor.full(window, 1));
            return Tensor.where(far, Tensor.full(MASK_VALUE, 1), Tensor.zeros(1));
        }

        /**
         * [B, 1, T, past + T] of 0 / MASK_VALUE: a query at position past + i sees keys 0 .. past + i, minus padded
         * keys when a mask is given.
         */
        private static Tensor additiveMask(Tensor attentionMask, int past, int t) {
            Tensor queryPos = Tensor.arange(past, past + t, 1);
            Tensor keyPos = Tensor.arange(0, past + t, 1);
            Tensor future = keyPos.unsqueeze(0).gt(queryPos.unsqueeze(1)); // (T, past+T): key after query
            Tensor zero = Tensor.zeros(1);
            Tensor masked = Tensor.full(MASK_VALUE, 1);
            Tensor causal = Tensor.where(future, masked, zero);
            if (attentionMask == null) {
                return causal;
            }
            Tensor padded = attentionMask.eq(Tensor.zeros(attentionMask.dtype(), 1)); // (B, past+T): key is padding
            Tensor padBias = Tensor.where(padded, masked, zero).unsqueeze(1).unsqueeze(1); // (B, 1, 1, past+T)
            return causal.add(padBias); // MASK_VALUE twice overflows to -inf, as in HF
        }
    }

    public static final class GPT2Block extends Module {
        private final LayerNorm ln1;
        private final GPT2Attention attn;
        private final LayerNorm ln2;
        private final GPT2MLP mlp;

        GPT2Block(GPT2Config c, Generator gen) {
            ln1 = child("ln_1", new LayerNorm(c.nEmbd(), c.layerNormEpsilon()));
            attn = child("attn", new GPT2Attention(c, gen));
            ln2 = child("ln_2", new LayerNorm(c.nEmbd(), c.layerNormEpsilon()));
            mlp = child("mlp", new GPT2MLP(c, gen));
        }

        Tensor forward(Tensor x, Tensor mask, KVCache cache, int layer, int past) {
            x = x.add(attn.forward(ln1.forward(x), mask, cache, layer, past));
            return x.add(mlp.forward(ln2.forward(x)));
        }
    }

    public static final class GPT2Attention extends Module {
        private final Linear cAttn;
        private final Linear cProj;
        private final Dropout attnDropout;
        private final Dropout residDropout;
        private final int nHead;
        private final int nEmbd;

        GPT2Attention(GPT2Config c, Generator gen) {
            double projStd = 0.02 / Math.sqrt(2.0 * c.nLayer()); // GPT-2: residual projections scaled by depth
            cAttn = child("c_attn", new Linear(c.nEmbd(), 3 * c.nEmbd(), true, Linear.Layout.IN_OUT, gen, 0.02));
            cProj = child("c_proj", new Linear(c.nEmbd(), c.nEmbd(), true, Linear.Layout.IN_OUT, gen, projStd));
            attnDropout = child("attn_dropout", new Dropout(c.attnPdrop(), gen));
            residDropout = child("resid_dropout", new Dropout(c.residPdrop(), gen));
            nHead = c.nHead();
            nEmbd = c.nEmbd();
        }

        Tensor forward(Tensor x, Tensor mask, KVCache cache, int layer, int past) {
            int hd = nEmbd / nHead;
            double scale = 1.0 / Math.sqrt(hd);
            Tensor qkv = cAttn.forward(x); // (B, T, 3C)
            Tensor y; // dropout(softmax(q k^T / sqrt(hs) + mask)) v, fused where that is faster: (B, nh, T, hs)
            if (cache == null) { // q, k and v as one tensor: their gradient is made whole, not in three pieces
                y = Attention.scaledDotProductPacked(qkv, nHead, mask.to(x.dtype()), scale, attnDropout);
            } else {
                Tensor q = Attention.splitHeads(qkv.narrow(2, 0, nEmbd), nHead); // (B, nh, T, hs)
                Tensor[] kv = cache.append(layer, Attention.splitHeads(qkv.narrow(2, nEmbd, nEmbd), nHead),
                        Attention.splitHeads(qkv.narrow(2, 2 * nEmbd, nEmbd), nHead)); // (B, nh, past+T, hs)
                y = Attention.scaledDotProduct(q, kv[0], kv[1], mask.to(x.dtype()), scale, attnDropout);
            }
            return residDropout.forward(cProj.forward(Attention.mergeHeads(y))); // (B, T, C)
        }
    }

    public static final class GPT2MLP extends Module {
        private final Linear cFc;
        private final Linear cProj;
        private final Dropout dropout;
        private final String activation;

        GPT2MLP(GPT2Config c, Generator gen) {
            double projStd = 0.02 / Math.sqrt(2.0 * c.nLayer());
            cFc = child("c_fc", new Linear(c.nEmbd(), c.nInner(), true, Linear.Layout.IN_OUT, gen, 0.02));
            cProj = child("c_proj", new Linear(c.nInner(), c.nEmbd(), true, Linear.Layout.IN_OUT, gen, projStd));
            dropout = child("dropout", new Dropout(c.residPdrop(), gen));
            activation = c.activation();
        }

        Tensor forward(Tensor x) {
            return dropout.forward(cProj.forward(cFc.forward(x, Activations.byName(activation))));
        }
    }

}
