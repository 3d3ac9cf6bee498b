package dev.t4j.bert;

import dev.t4j.nn.Activations;
import dev.t4j.nn.Attention;
import dev.t4j.nn.Dropout;
import dev.t4j.nn.Embedding;
import dev.t4j.nn.LayerNorm;
import dev.t4j.nn.Linear;
import dev.t4j.nn.Module;
import dev.t4j.nn.ModuleList;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.List;

/**
 * The BERT encoder (Devlin et al. 2019) as Hugging Face's BertModel: word + position + token-type embeddings
 * with a layer norm, then post-LN layers (attention, add, norm; feed-forward, add, norm), and an optional pooler
 * (tanh of a dense layer on the first token). Names follow HF, so {@code encoder.layer.0.attention.self.query.weight}
 * is the checkpoint key; linear weights stay [out, in] as stored.
 */
public final class BertModel extends Module {
    public final BertEmbeddings embeddings;
    public final BertEncoder encoder;
    public final BertPooler pooler;
    final BertConfig config;

    public BertModel(BertConfig c, boolean withPooler, Generator gen) {
        this.config = c;
        embeddings = child("embeddings", new BertEmbeddings(c, gen));
        encoder = child("encoder", new BertEncoder(c, gen));
        pooler = withPooler ? child("pooler", new BertPooler(c, gen)) : null;
    }

    /**
     * ids, tokenTypes and attentionMask are [B, T] (types and mask may be null: all 0, all attended). Returns the
     * last hidden state [B, T, H]; collects HF's hidden states (embeddings output, then each layer's) when
     * {@code hiddenStates} is not null.
     */
    public Tensor forward(Tensor ids, Tensor tokenTypes, Tensor attentionMask, List<Tensor> hiddenStates) {
        Tensor x = embeddings.forward(ids, tokenTypes);
        Tensor bias = attentionMask == null ? null : Attention.paddingBias(attentionMask);
        return encoder.forward(x, bias, hiddenStates);
    }


    static Linear linear(int in, int out, Generator gen) {
        return new Linear(in, out, true, Linear.Layout.OUT_IN, gen, 0.02);
    }

    public static final class BertEmbeddings extends Module {
        public final Embedding wordEmbeddings;
        final Embedding positionEmbeddings;
        final Embedding tokenTypeEmbeddings;
        final LayerNorm layerNorm;
        final Dropout dropout;
        private final int maxPositions;

        BertEmbeddings(BertConfig c, Generator gen) {
            wordEmbeddings = child("word_embeddings", new Embedding(c.vocabSize(), c.hiddenSize(), gen, 0.02));
            positionEmbeddings = child("position_embeddings",
                    new Embedding(c.maxPositionEmbeddings(), c.hiddenSize(), gen, 0.02));
            tokenTypeEmbeddings = child("token_type_embeddings", new Embedding(c.typeVocabSize(), c.hiddenSize(), gen, 0.02));
            layerNorm = child("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
            dropout = child("dropout", new Dropout(c.hiddenDropoutProb(), gen));
            maxPositions = c.maxPositionEmbeddings();
        }

        Tensor forward(Tensor ids, Tensor tokenTypes) {
            int t = ids.size(1);
            if (t > maxPositions) {
                throw new IllegalArgumentException("input of " + t + " tokens exceeds max_position_embeddings "
                        + maxPositions + "; truncate it (only when asked: t4j never truncates silently)");
            }
            Tensor x = wordEmbeddings.forward(ids).add(positionEmbeddings.weight().narrow(0, 0, t)); // (B, T, H)
            x = tokenTypes == null ? x.add(tokenTypeEmbeddings.weight().select(0, 0))
                    : x.add(tokenTypeEmbeddings.forward(tokenTypes));
            return dropout.forward(layerNorm.forward(x));
        }
    }

    public static final class BertEncoder extends Module {
        final ModuleList<BertLayer> layer;

        BertEncoder(BertConfig c, Generator gen) {
            layer = child("layer", new ModuleList<>());
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                layer.add(new BertLayer(c, gen));
            }
        }

        Tensor forward(Tensor x, Tensor bias, List<Tensor> hiddenStates) {
            if (hiddenStates != null) {
                hiddenStates.add(x);
            }
            for (BertLayer l : layer) {
                x = l.forward(x, bias);
                if (hiddenStates != null) {
                    hiddenStates.add(x);
                }
            }
            return x;
        }
    }

    /** One post-LN layer: a = LN(x + attention(x)); y = LN(a + W2 act(W1 a)). */
    public static final class BertLayer extends Module {
        final BertAttention attention;
        final Linear intermediateDense;
        final Linear outputDense;
        final LayerNorm outputNorm;
        final Dropout outputDropout;
        final String act;

        BertLayer(BertConfig c, Generator gen) {
            attention = child("attention", new BertAttention(c, gen));
            Module intermediate = child("intermediate", new Holder());
            intermediateDense = ((Holder) intermediate).add("dense", linear(c.hiddenSize(), c.intermediateSize(), gen));
            Holder output = child("output", new Holder());
            outputDense = output.add("dense", linear(c.intermediateSize(), c.hiddenSize(), gen));
            outputNorm = output.add("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
            outputDropout = output.add("dropout", new Dropout(c.hiddenDropoutProb(), gen));
            act = c.hiddenAct();
        }

        Tensor forward(Tensor x, Tensor bias) {
            Tensor a = attention.forward(x, bias);
            Tensor h = intermediateDense.forward(a, Activations.byName(act));
            return outputNorm.forward(a.add(outputDropout.forward(outputDense.forward(h))));
        }
    }

    /** attention.self.{query,key,value} and attention.output.{dense,LayerNorm}. */
    public static final class BertAttention extends Module {
        final Linear query;
        final Linear key;
        final Linear value;
        final Dropout probsDropout;
        final Linear dense;
        final LayerNorm norm;
        final Dropout outDropout;
        final int heads;

        BertAttention(BertConfig c, Generator gen) {
            Holder self = child("self", new Holder());
            query = self.add("query", linear(c.hiddenSize(), c.hiddenSize(), gen));
            key = self.add("key", linear(c.hiddenSize(), c.hiddenSize(), gen));
            value = self.add("value", linear(c.hiddenSize(), c.hiddenSize(), gen));
            probsDropout = self.add("dropout", new Dropout(c.attentionProbsDropoutProb(), gen));
            Holder output = child("output", new Holder());
            dense = output.add("dense", linear(c.hiddenSize(), c.hiddenSize(), gen));
            norm = output.add("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
            outDropout = output.add("dropout", new Dropout(c.hiddenDropoutProb(), gen));
            heads = c.numAttentionHeads();
        }

        Tensor forward(Tensor x, Tensor bias) {
            Tensor q = Attention.splitHeads(query.forward(x), heads); // (B, h, T, d)
            Tensor k = Attention.splitHeads(key.forward(x), heads);
            Tensor v = Attention.splitHeads(value.forward(x), heads);
            double scale = 1 / Math.sqrt(q.size(3));
            Tensor y = Attention.mergeHeads(Attention.scaledDotProduct(q, k, v, bias, scale, probsDropout)); // (B, T, H)
            return norm.forward(x.add(outDropout.forward(dense.forward(y))));
        }
    }

    /** pooler.dense: tanh(W h[:, 0] + b). */
    public static final class BertPooler extends Module {
        final Linear dense;

        BertPooler(BertConfig c, Generator gen) {
            dense = child("dense", linear(c.hiddenSize(), c.hiddenSize(), gen));
        }

        Tensor forward(Tensor hidden) {
            return dense.forward(hidden.select(1, 0)).tanh(); // (B, H)
        }
    }

    /** A named grouping with no computation of its own: HF's attention.self / intermediate / output levels. */
    static final class Holder extends Module {
        <M extends Module> M add(String name, M m) {
            return child(name, m);
        }
    }
}
