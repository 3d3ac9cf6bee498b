package dev.t4j.bert;

import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.Tokenizer;
import dev.t4j.train.TrainingTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Masked-language-model pretraining: sequences of up to maxLength tokens ([CLS] piece... [SEP]), corrupted by
 * {@link MaskedLanguageModeling} anew each time they are drawn; the evaluation split is masked with a fixed seed,
 * so every evaluation scores the same positions. With next-sentence pairs ({@link #pairs}) and a model built with the
 * next-sentence head, the loss is MLM plus next-sentence prediction, as in the BERT paper.
 */
public final class BertPretraining implements TrainingTask {
    /** One training sequence: ids, token types, and the next-sentence label (-100 when there is none). */
    public record Item(long[] ids, long[] types, int nextLabel) {}

    private final BertForMaskedLM model;
    private final List<Item> train;
    private final List<Item> eval;
    private final MaskedLanguageModeling mlm;
    private final int batch;
    private final int padId;
    private final int evalBatches;

    public BertPretraining(BertForMaskedLM model, List<Item> train, List<Item> eval, MaskedLanguageModeling mlm,
            int batch, int padId, int evalBatches) {
        if (train.isEmpty() || eval.isEmpty()) {
            throw new IllegalArgumentException("pretraining needs sequences in both splits (train " + train.size()
                    + ", eval " + eval.size() + ")");
        }
        this.model = model;
        this.train = train;
        this.eval = eval;
        this.mlm = mlm;
        this.batch = batch;
        this.padId = padId;
        this.evalBatches = Math.min(evalBatches, Math.max(1, eval.size() / batch));
    }

    /** Splits each text into pieces of at most maxLength - 2 tokens and wraps them in [CLS] ... [SEP]. */
    public static List<Item> sequences(Tokenizer tok, List<String> texts, int maxLength) {
        int cls = tok.tokenToId("[CLS]");
        int sep = tok.tokenToId("[SEP]");
        if (cls < 0 || sep < 0) {
            throw new IllegalArgumentException("the tokenizer has no [CLS] / [SEP] tokens: not a BERT tokenizer");
        }
        List<Item> out = new ArrayList<>();
        for (String text : texts) {
            int[] ids = tok.encode(text, null, false).ids();
            for (int start = 0; start < ids.length; start += maxLength - 2) {
                int n = Math.min(maxLength - 2, ids.length - start);
                long[] seq = new long[n + 2];
                seq[0] = cls;
                for (int i = 0; i < n; i++) {
                    seq[i + 1] = ids[start + i];
                }
                seq[n + 1] = sep;
                out.add(new Item(seq, new long[seq.length], -100));
            }
        }
        return out;
    }

    /**
     * [CLS] A [SEP] B [SEP] with token types 0 / 1 and the next-sentence label; a pair longer than maxLength loses
     * tokens from the end of its longer sentence first (BERT's own data preparation does this: it is part of the
     * objective, not a silent cut of user input).
     */
    public static List<Item> pairs(Tokenizer tok, List<NextSentencePairs.Pair> pairs, int maxLength) {
        int cls = tok.tokenToId("[CLS]");
        int sep = tok.tokenToId("[SEP]");
        List<Item> out = new ArrayList<>();
        for (NextSentencePairs.Pair p : pairs) {
            int[] a = tok.encode(p.a(), null, false).ids();
            int[] b = tok.encode(p.b(), null, false).ids();
            int na = a.length;
            int nb = b.length;
            while (na + nb > maxLength - 3) {
                if (na >= nb) {
                    na--;
                } else {
                    nb--;
                }
            }
            long[] ids = new long[na + nb + 3];
            long[] types = new long[ids.length];
            ids[0] = cls;
            for (int i = 0; i < na; i++) {
                ids[1 + i] = a[i];
            }
            ids[na + 1] = sep;
            for (int i = 0; i < nb; i++) {
                ids[na + 2 + i] = b[i];
                types[na + 2 + i] = 1;
            }
            ids[ids.length - 1] = sep;
            types[ids.length - 1] = 1;
            out.add(new Item(ids, types, p.label()));
        }
        return out;
    }

    @Override
    public Module model() {
        return model;
    }

    private BertForMaskedLM.MaskedResult run(List<Item> items, Generator gen) {
        int t = 0;
        for (Item s : items) {
            t = Math.max(t, s.ids().length);
        }
        int rows = items.size();
        long[] ids = new long[rows * t];
        long[] types = new long[rows * t];
        long[] labels = new long[rows * t];
        long[] mask = new long[rows * t];
        long[] next = new long[rows];
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(labels, -100);
        boolean anyNext = false;
        for (int b = 0; b < rows; b++) {
            Item item = items.get(b);
            var m = mlm.apply(item.ids(), gen);
            System.arraycopy(m.inputs(), 0, ids, b * t, m.inputs().length);
            System.arraycopy(m.labels(), 0, labels, b * t, m.labels().length);
            System.arraycopy(item.types(), 0, types, b * t, item.types().length);
            java.util.Arrays.fill(mask, b * t, b * t + m.inputs().length, 1);
            next[b] = item.nextLabel();
            anyNext |= item.nextLabel() >= 0;
        }
        return model.pretrainingLoss(Tensor.of(ids, rows, t), Tensor.of(types, rows, t), Tensor.of(mask, rows, t),
                Tensor.of(labels, rows, t), anyNext && model.hasNextSentenceHead() ? Tensor.of(next, rows) : null);
    }

    @Override
    public Tensor trainLoss(Generator data) {
        List<Item> pick = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            pick.add(train.get(data.nextInt(train.size())));
        }
        return run(pick, data).loss();
    }

    @Override
    public double evalLoss() {
        return evalMetrics().get("loss");
    }

    /**
     * {@inheritDoc} Here the held-out loss and masked-token accuracy, from one pass over the evaluation batches with
     * the fixed evaluation masking.
     */
    @Override
    public Map<String, Double> evalMetrics() {
        Generator g = new Generator(20261128);
        double loss = 0;
        long correct = 0;
        long total = 0;
        for (int k = 0; k < evalBatches; k++) {
            var r = run(eval.subList(k * batch, Math.min(eval.size(), (k + 1) * batch)), g);
            loss += r.loss().item() * r.total();
            correct += r.correct();
            total += r.total();
        }
        return TrainingTask.lossAndAccuracy(loss / Math.max(1, total), (double) correct / Math.max(1, total));
    }

    @Override
    public long itemsPerBatch() {
        return batch;
    }

    @Override
    public String itemUnit() {
        return "seq";
    }

    @Override
    public void saveModel(Path dir) {
        BertCheckpoint.save(model, model.config, "BertForMaskedLM", dir);
    }
}
