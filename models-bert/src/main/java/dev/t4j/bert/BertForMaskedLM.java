package dev.t4j.bert;

import dev.t4j.nn.LayerNorm;
import dev.t4j.nn.Linear;
import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.List;

/**
 * BERT with the masked-language-model head: cls.predictions.transform (dense, activation, layer norm), then a
 * decoder tied to the word embeddings with its own bias (cls.predictions.bias, which HF also names
 * cls.predictions.decoder.bias).
 */
public final class BertForMaskedLM extends Module {
    public final BertConfig config;
    public final BertModel bert;
    private final Linear transformDense;
    private final LayerNorm transformNorm;
    private final Tensor decoderBias;

    public BertForMaskedLM(BertConfig c, Generator gen) {
        this.config = c;
        bert = child("bert", new BertModel(c, false, gen));
        BertModel.Holder cls = child("cls", new BertModel.Holder());
        Predictions predictions = cls.add("predictions", new Predictions(c));
        decoderBias = predictions.bias;
        BertModel.Holder transform = predictions.add("transform", new BertModel.Holder());
        transformDense = transform.add("dense", BertModel.linear(c.hiddenSize(), c.hiddenSize(), gen));
        transformNorm = transform.add("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
        predictions.add("decoder", new TiedDecoder(bert.embeddings.wordEmbeddings.weight(), decoderBias));
    }

    private static final class Predictions extends Module {
        final Tensor bias;

        Predictions(BertConfig c) {
            bias = parameter("bias", Tensor.zeros(c.vocabSize()));
        }

        <M extends Module> M add(String name, M m) {
            return child(name, m);
        }
    }

    private static final class TiedDecoder extends Module {
        TiedDecoder(Tensor weight, Tensor bias) {
            tie("weight", weight);
            tie("bias", bias);
        }
    }

    /** Token logits [B, T, vocab]. */
    public Tensor forward(Tensor ids, Tensor tokenTypes, Tensor attentionMask, List<Tensor> hiddenStates) {
        Tensor h = bert.forward(ids, tokenTypes, attentionMask, hiddenStates);
        h = transformNorm.forward(BertModel.activation(config.hiddenAct(), transformDense.forward(h)));
        return h.matmul(bert.embeddings.wordEmbeddings.weight().mT()).add(decoderBias);
    }

    /** Mean cross-entropy over the positions whose label is not -100. */
    public static Tensor loss(Tensor logits, Tensor labels) {
        return logits.crossEntropy(labels, -100);
    }
}
