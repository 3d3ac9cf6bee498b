package dev.t4j.bert;

import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.Encoding;
import dev.t4j.tokenizer.Tokenizer;
import dev.t4j.train.ExampleSampler;
import dev.t4j.train.TrainingTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fine-tuning for sequence classification: labelled texts (or pairs) encoded with [CLS] ... [SEP], taken in a new
 * random order each epoch or grouped by length ({@link ExampleSampler}), dynamically padded to the longest in the
 * batch; evaluation reports loss and accuracy over the whole dev split.
 */
public final class BertClassification implements TrainingTask {
    /** One example: text, optional second text, label index. */
    public record Example(String text, String pair, int label) {}

    private final BertForSequenceClassification model;
    private final List<Encoding> train;
    private final int[] trainLabels;
    private final List<Encoding> dev;
    private final int[] devLabels;
    private final int batch;
    private final int padId;

    private final ExampleSampler sampler;

    public BertClassification(BertForSequenceClassification model, Tokenizer tok, List<Example> trainSet,
            List<Example> devSet, int maxLength, boolean truncate, int batch) {
        this.model = model;
        this.batch = batch;
        this.padId = tok.padId();
        this.train = encode(tok, trainSet, maxLength, truncate, "train");
        this.dev = encode(tok, devSet, maxLength, truncate, "dev");
        this.trainLabels = trainSet.stream().mapToInt(Example::label).toArray();
        this.devLabels = devSet.stream().mapToInt(Example::label).toArray();
        if (train.isEmpty()) {
            throw new IllegalArgumentException("the training set has no examples");
        }
        this.sampler = new ExampleSampler(train.size());
        int labels = model.config.numLabels();
        for (List<Example> set : List.of(trainSet, devSet)) {
            for (int i = 0; i < set.size(); i++) {
                if (labels > 1 && (set.get(i).label() < 0 || set.get(i).label() >= labels)) {
                    throw new IllegalArgumentException("example " + i + " has label " + set.get(i).label() + " outside [0, "
                            + labels + ")");
                }
            }
        }
    }

    private static List<Encoding> encode(Tokenizer tok, List<Example> set, int maxLength, boolean truncate, String split) {
        List<Encoding> out = new ArrayList<>();
        for (int i = 0; i < set.size(); i++) {
            Encoding e = tok.encode(set.get(i).text(), set.get(i).pair(), true);
            if (e.length() > maxLength) {
                if (!truncate) {
                    throw new IllegalArgumentException(split + " row " + (i + 1) + " has " + e.length()
                            + " tokens, more than --max-length " + maxLength + "; pass --truncate to cut long inputs");
                }
                e = new Encoding(java.util.Arrays.copyOf(e.ids(), maxLength), java.util.Arrays.copyOf(e.tokens(), maxLength),
                        java.util.Arrays.copyOf(e.typeIds(), maxLength), java.util.Arrays.copyOf(e.attentionMask(), maxLength),
                        java.util.Arrays.copyOf(e.offsets(), maxLength));
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public Module model() {
        return model;
    }

    private Tensor[] batchOf(List<Encoding> rows) {
        int t = 0;
        for (Encoding e : rows) {
            t = Math.max(t, e.length());
        }
        long[] ids = new long[rows.size() * t];
        long[] types = new long[rows.size() * t];
        long[] mask = new long[rows.size() * t];
        java.util.Arrays.fill(ids, padId);
        for (int b = 0; b < rows.size(); b++) {
            Encoding e = rows.get(b);
            for (int i = 0; i < e.length(); i++) {
                ids[b * t + i] = e.ids()[i];
                types[b * t + i] = e.typeIds()[i];
                mask[b * t + i] = 1;
            }
        }
        int n = rows.size();
        return new Tensor[] {Tensor.of(ids, n, t), Tensor.of(types, n, t), Tensor.of(mask, n, t)};
    }

    @Override
    public Tensor trainLoss(Generator data) {
        int[] picked = sampler.next(data, batch);
        int n = picked.length;
        List<Encoding> rows = new ArrayList<>();
        long[] labels = new long[n];
        for (int b = 0; b < n; b++) {
            int i = picked[b];
            rows.add(train.get(i));
            labels[b] = trainLabels[i];
        }
        Tensor[] x = batchOf(rows);
        return model.loss(model.forward(x[0], x[1], x[2], null), Tensor.of(labels, n));
    }

    /**
     * Draws training batches of sentences of similar length ({@link dev.t4j.train.LengthGroupedBatches}) instead of
     * each epoch in a random order, so that less of each batch is padding; returns this task.
     */
    public BertClassification groupByLength(long seed) {
        sampler.groupByLength(train.stream().mapToInt(e -> e.ids().length).toArray(), seed);
        return this;
    }

    @Override
    public double evalLoss() {
        return evalMetrics().get("loss");
    }

    /** {@inheritDoc} Here the loss and accuracy over the whole dev split, from one pass. */
    @Override
    public Map<String, Double> evalMetrics() {
        double loss = 0;
        long correct = 0;
        for (int start = 0; start < dev.size(); start += 64) {
            int end = Math.min(dev.size(), start + 64);
            Tensor[] x = batchOf(dev.subList(start, end));
            long[] labels = new long[end - start];
            for (int i = start; i < end; i++) {
                labels[i - start] = devLabels[i];
            }
            Tensor logits = model.forward(x[0], x[1], x[2], null);
            loss += model.loss(logits, Tensor.of(labels, labels.length)).item() * labels.length;
            long[] predicted = logits.argmax(1, false).toLongArray();
            for (int i = 0; i < labels.length; i++) {
                correct += predicted[i] == labels[i] ? 1 : 0;
            }
        }
        return TrainingTask.lossAndAccuracy(loss / dev.size(), (double) correct / dev.size());
    }

    @Override
    public ExampleSampler sampler() {
        return sampler;
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
        BertCheckpoint.save(model, model.config, "BertForSequenceClassification", dir);
    }
}
