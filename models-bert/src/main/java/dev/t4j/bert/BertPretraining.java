package dev.t4j.bert;

import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.Tokenizer;
import dev.t4j.train.TrainingTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Masked-language-model pretraining: sequences of up to maxLength tokens ([CLS] piece... [SEP]), corrupted by
 * {@link MaskedLanguageModeling} anew each time they are drawn; the evaluation split is masked with a fixed seed,
 * so every evaluation scores the same positions.
 */
public final class BertPretraining implements TrainingTask {
    private final BertForMaskedLM model;
    private final List<long[]> train;
    private final List<long[]> eval;
    private final MaskedLanguageModeling mlm;
    private final int batch;
    private final int padId;
    private final int evalBatches;

    public BertPretraining(BertForMaskedLM model, List<long[]> train, List<long[]> eval, MaskedLanguageModeling mlm,
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
    public static List<long[]> sequences(Tokenizer tok, List<String> texts, int maxLength) {
        int cls = tok.tokenToId("[CLS]");
        int sep = tok.tokenToId("[SEP]");
        if (cls < 0 || sep < 0) {
            throw new IllegalArgumentException("the tokenizer has no [CLS] / [SEP] tokens: not a BERT tokenizer");
        }
        List<long[]> out = new ArrayList<>();
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
                out.add(seq);
            }
        }
        return out;
    }

    @Override
    public Module model() {
        return model;
    }

    private BertForMaskedLM.MaskedResult run(List<long[]> seqs, Generator gen) {
        int t = 0;
        for (long[] s : seqs) {
            t = Math.max(t, s.length);
        }
        long[] ids = new long[seqs.size() * t];
        long[] labels = new long[seqs.size() * t];
        long[] mask = new long[seqs.size() * t];
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(labels, -100);
        for (int b = 0; b < seqs.size(); b++) {
            var m = mlm.apply(seqs.get(b), gen);
            System.arraycopy(m.inputs(), 0, ids, b * t, m.inputs().length);
            System.arraycopy(m.labels(), 0, labels, b * t, m.labels().length);
            java.util.Arrays.fill(mask, b * t, b * t + m.inputs().length, 1);
        }
        int rows = seqs.size();
        return model.maskedLoss(Tensor.of(ids, rows, t), null, Tensor.of(mask, rows, t), Tensor.of(labels, rows, t));
    }

    @Override
    public Tensor trainLoss(Generator data) {
        List<long[]> pick = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            pick.add(train.get(data.nextInt(train.size())));
        }
        return run(pick, data).loss();
    }

    @Override
    public double evalLoss() {
        return evaluate()[0];
    }

    /** {mean loss, accuracy} over the evaluation batches, with the fixed evaluation masking. */
    public double[] evaluate() {
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
        return new double[] {loss / Math.max(1, total), (double) correct / Math.max(1, total)};
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
