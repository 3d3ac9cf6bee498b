package dev.t4j.cli;

import dev.t4j.autograd.GradMode;
import dev.t4j.bert.BertClassification;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.Tokenizer;
import java.util.List;

/**
 * The baseline a fine-tuned BERT must beat: logistic regression on bags of (WordPiece) tokens, trained with the
 * same tokenizer on the same split. logits = sum of per-token weight rows / count + bias.
 */
final class BagOfWords {
    private BagOfWords() {}

    static double accuracy(Tokenizer tok, List<BertClassification.Example> train, List<BertClassification.Example> dev,
            int labels, long seed) {
        int vocab = tok.vocabSize();
        try (Scope s = Scope.open("bow")) {
            Tensor w = Tensor.zeros(vocab, labels).requiresGrad(true);
            Tensor b = Tensor.zeros(labels).requiresGrad(true);
            AdamW opt = new AdamW(List.of(w, b), 0.02, 0.9, 0.999, 1e-8, 0.0);
            Generator gen = new Generator(seed);
            int batch = 256;
            int steps = Math.max(200, 3 * train.size() / batch);
            for (int step = 0; step < steps; step++) {
                try (Scope st = Scope.open("step")) {
                    long[] y = new long[batch];
                    Tensor x = features(tok, train, gen, batch, y, vocab);
                    Tensor loss = x.matmul(w).add(b).crossEntropy(Tensor.of(y, batch), -100)
                            .add(w.mul(w).sum().mul(1e-6));
                    loss.backward();
                    opt.step();
                    opt.zeroGrad();
                }
            }
            long correct = 0;
            try (var g = GradMode.noGrad()) {
                for (int start = 0; start < dev.size(); start += batch) {
                    try (Scope st = Scope.open("eval")) {
                        List<BertClassification.Example> part = dev.subList(start, Math.min(dev.size(), start + batch));
                        Tensor x = dense(tok, part, vocab);
                        long[] pred = x.matmul(w).add(b).argmax(1, false).toLongArray();
                        for (int i = 0; i < pred.length; i++) {
                            correct += pred[i] == part.get(i).label() ? 1 : 0;
                        }
                    }
                }
            }
            return (double) correct / dev.size();
        }
    }

    private static Tensor features(Tokenizer tok, List<BertClassification.Example> set, Generator gen, int batch, long[] y,
            int vocab) {
        List<BertClassification.Example> pick = new java.util.ArrayList<>();
        for (int i = 0; i < batch; i++) {
            BertClassification.Example e = set.get(gen.nextInt(set.size()));
            pick.add(e);
            y[i] = e.label();
        }
        return dense(tok, pick, vocab);
    }

    /** Normalised token counts [n, vocab]. */
    private static Tensor dense(Tokenizer tok, List<BertClassification.Example> set, int vocab) {
        float[] x = new float[set.size() * vocab];
        for (int i = 0; i < set.size(); i++) {
            BertClassification.Example e = set.get(i);
            int[] ids = tok.encode(e.text(), e.pair(), false).ids();
            for (int id : ids) {
                x[i * vocab + id] += 1f / Math.max(1, ids.length);
            }
        }
        return Tensor.of(x, set.size(), vocab);
    }
}
