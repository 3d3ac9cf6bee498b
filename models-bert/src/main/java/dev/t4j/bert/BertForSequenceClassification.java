package dev.t4j.bert;

import dev.t4j.nn.Dropout;
import dev.t4j.nn.Linear;
import dev.t4j.nn.Module;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.List;

/**
 * BERT with a classifier on the pooled first token: cross-entropy over num_labels classes, or mean squared error
 * when num_labels is 1 (regression), as Hugging Face decides for integer and float labels.
 */
public final class BertForSequenceClassification extends Module {
    public final BertConfig config;
    public final BertModel bert;
    private final Dropout dropout;
    private final Linear classifier;

    public BertForSequenceClassification(BertConfig c, Generator gen) {
        this.config = c;
        bert = child("bert", new BertModel(c, true, gen));
        Object classifierDropout = c.raw().get("classifier_dropout");
        double p = classifierDropout instanceof Number n ? n.doubleValue() : c.hiddenDropoutProb();
        dropout = child("dropout", new Dropout(p, gen));
        classifier = child("classifier", BertModel.linear(c.hiddenSize(), c.numLabels(), gen));
    }

    /** Logits [B, num_labels]. */
    public Tensor forward(Tensor ids, Tensor tokenTypes, Tensor attentionMask, List<Tensor> hiddenStates) {
        Tensor h = bert.forward(ids, tokenTypes, attentionMask, hiddenStates);
        return classifier.forward(dropout.forward(bert.pooler.forward(h)));
    }

    public Tensor loss(Tensor logits, Tensor labels) {
        if (config.numLabels() == 1) {
            Tensor diff = logits.reshape(-1).sub(labels.to(DType.F32).reshape(-1));
            return diff.mul(diff).mean();
        }
        return logits.crossEntropy(labels, -100);
    }
}
