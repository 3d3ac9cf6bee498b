package dev.t4j.bert;

import dev.t4j.nn.Activations;
import dev.t4j.nn.LayerNorm;
import dev.t4j.nn.Linear;
import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.List;

/**
 * BERT with the masked-language-model head: cls.predictions.transform (dense, activation, layer norm), then a
 * decoder tied to the word embeddings with its own bias (cls.predictions.bias, which HF also names
 * cls.predictions.decoder.bias). Built with the next-sentence head it is HF's BertForPreTraining: a pooler and
 * cls.seq_relationship (2 classes: 0 = B follows A, 1 = B is random), the objective later work dropped.
 */
public final class BertForMaskedLM extends Module {
    public final BertConfig config;
    public final BertModel bert;
    private final Linear transformDense;
    private final LayerNorm transformNorm;
    private final Tensor decoderBias;
    private final Linear seqRelationship; // null without the next-sentence head

    public BertForMaskedLM(BertConfig c, Generator gen) {
        this(c, gen, false);
    }

    public BertForMaskedLM(BertConfig c, Generator gen, boolean nextSentenceHead) {
        this.config = c;
        bert = child("bert", new BertModel(c, nextSentenceHead, gen));
        BertModel.Holder cls = child("cls", new BertModel.Holder());
        Predictions predictions = cls.add("predictions", new Predictions(c));
        decoderBias = predictions.bias;
        BertModel.Holder transform = predictions.add("transform", new BertModel.Holder());
        transformDense = transform.add("dense", BertModel.linear(c.hiddenSize(), c.hiddenSize(), gen));
        transformNorm = transform.add("LayerNorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
        predictions.add("decoder", new TiedDecoder(bert.embeddings.wordEmbeddings.weight(), decoderBias));
        seqRelationship = nextSentenceHead ? cls.add("seq_relationship", BertModel.linear(c.hiddenSize(), 2, gen)) : null;
    }

    public boolean hasNextSentenceHead() {
        return seqRelationship != null;
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
        h = transformNorm.forward(transformDense.forward(h, Activations.byName(config.hiddenAct())));
        return h.matmul(bert.embeddings.wordEmbeddings.weight().mT()).add(decoderBias);
    }

    /** Loss and accuracy of the masked positions. */
    public record MaskedResult(Tensor loss, long correct, long total) {}

    /**
     * Mean cross-entropy over the positions whose label is not -100, computing the vocabulary projection only at
     * those positions (15 % of them): the same loss as {@link #loss} on {@link #forward}, a sixth of the work.
     */
    public MaskedResult maskedLoss(Tensor ids, Tensor tokenTypes, Tensor attentionMask, Tensor labels) {
        return maskedLoss(bert.forward(ids, tokenTypes, attentionMask, null), labels);
    }

    /**
     * Masked-LM loss plus, with the next-sentence head, the next-sentence cross-entropy on the pooled [CLS]
     * (HF's BertForPreTraining loss: their sum). {@code correct}/{@code total} count the masked tokens.
     */
    public MaskedResult pretrainingLoss(Tensor ids, Tensor tokenTypes, Tensor attentionMask, Tensor labels,
            Tensor nextSentenceLabels) {
        Tensor h = bert.forward(ids, tokenTypes, attentionMask, null);
        MaskedResult mlm = maskedLoss(h, labels);
        if (seqRelationship == null || nextSentenceLabels == null) {
            return mlm;
        }
        Tensor nsp = seqRelationship.forward(bert.pooler.forward(h)).crossEntropy(nextSentenceLabels, -100);
        return new MaskedResult(mlm.loss().add(nsp), mlm.correct(), mlm.total());
    }

    private MaskedResult maskedLoss(Tensor h, Tensor labels) {
        long[] l = labels.toLongArray();
        int n = 0;
        for (long v : l) {
            n += v == -100 ? 0 : 1;
        }
        long[] at = new long[n];
        long[] targets = new long[n];
        for (int i = 0, k = 0; i < l.length; i++) {
            if (l[i] != -100) {
                at[k] = i;
                targets[k++] = l[i];
            }
        }
        if (n == 0) {
            return new MaskedResult(h.sum().mul(0), 0, 0);
        }
        Tensor picked = h.reshape(-1, config.hiddenSize()).indexSelect(0, Tensor.of(at, n)); // (n, H)
        picked = transformNorm.forward(transformDense.forward(picked, Activations.byName(config.hiddenAct())));
        Tensor logits = picked.matmul(bert.embeddings.wordEmbeddings.weight().mT()).add(decoderBias); // (n, vocab)
        Tensor t = Tensor.of(targets, n);
        long[] predicted = logits.argmax(1, false).toLongArray();
        long correct = 0;
        for (int i = 0; i < n; i++) {
            correct += predicted[i] == targets[i] ? 1 : 0;
        }
        return new MaskedResult(logits.crossEntropy(t, -100), correct, n);
    }

    /** Mean cross-entropy over the positions whose label is not -100. */
    public static Tensor loss(Tensor logits, Tensor labels) {
        return logits.crossEntropy(labels, -100);
    }
}
