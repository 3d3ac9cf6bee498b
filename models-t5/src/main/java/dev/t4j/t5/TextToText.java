package dev.t4j.t5;

import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.Tokenizer;
import dev.t4j.train.ExampleSampler;
import dev.t4j.train.TrainingTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Text-to-text fine-tuning: (input, target) pairs encoded with </s>, taken in a new random order each epoch or grouped
 * by length ({@link ExampleSampler}), the decoder fed the target shifted right (teacher forcing), cross-entropy on the
 * target tokens. Inputs longer than maxInput are cut only when {@code truncateInputs}; targets longer than maxTarget
 * are an error naming the pair.
 */
public final class TextToText implements TrainingTask {
    /** One pair of texts. */
    public record Pair(String input, String target) {}

    private final T5ForConditionalGeneration model;
    private final List<long[][]> train;
    private final List<long[][]> dev;
    private final int batch;
    private final int pad;
    private final ExampleSampler sampler;

    public TextToText(T5ForConditionalGeneration model, Tokenizer tok, List<Pair> trainSet, List<Pair> devSet,
            int maxInput, int maxTarget, boolean truncateInputs, int batch) {
        this.model = model;
        this.batch = batch;
        this.pad = model.config.padTokenId();
        this.train = encode(tok, trainSet, maxInput, maxTarget, truncateInputs, "train");
        this.dev = encode(tok, devSet, maxInput, maxTarget, truncateInputs, "dev");
        if (train.isEmpty()) {
            throw new IllegalArgumentException("the training set has no pairs");
        }
        this.sampler = new ExampleSampler(train.size());
    }

    static List<long[][]> encode(Tokenizer tok, List<Pair> set, int maxInput, int maxTarget, boolean truncate,
            String split) {
        List<long[][]> out = new ArrayList<>();
        for (int i = 0; i < set.size(); i++) {
            long[] in = tok.encode(set.get(i).input()).idsAsLongs();
            long[] target = tok.encode(set.get(i).target()).idsAsLongs();
            if (in.length > maxInput) {
                if (!truncate) {
                    throw new IllegalArgumentException(split + " pair " + (i + 1) + ": the input has " + in.length
                            + " tokens, more than " + maxInput + "; allow truncation to cut it");
                }
                in = java.util.Arrays.copyOf(in, maxInput);
                in[maxInput - 1] = tok.tokenToId("</s>");
            }
            if (target.length > maxTarget) {
                throw new IllegalArgumentException(split + " pair " + (i + 1) + ": the target has " + target.length
                        + " tokens, more than the maximum of " + maxTarget);
            }
            out.add(new long[][] {in, target});
        }
        return out;
    }

    @Override
    public Module model() {
        return model;
    }

    private Tensor loss(List<long[][]> rows) {
        Seq2SeqBatch b = Seq2SeqBatch.pack(rows.stream().map(r -> r[0]).toList(), rows.stream().map(r -> r[1]).toList(),
                pad);
        return b.logits(model).crossEntropy(b.labels(), -100);
    }

    @Override
    public Tensor trainLoss(Generator data) {
        List<long[][]> rows = new ArrayList<>();
        for (int i : sampler.next(data, batch)) {
            rows.add(train.get(i));
        }
        return loss(rows);
    }

    @Override
    public ExampleSampler sampler() {
        return sampler;
    }

    /**
     * Draws training batches of inputs of similar length ({@link dev.t4j.train.LengthGroupedBatches}) instead of
     * each epoch in a random order, so that less of each batch is padding; returns this task.
     */
    public TextToText groupByLength(long seed) {
        sampler.groupByLength(train.stream().mapToInt(r -> r[0].length).toArray(), seed);
        return this;
    }

    @Override
    public double evalLoss() {
        double sum = 0;
        int n = 0;
        for (int start = 0; start < dev.size(); start += batch) {
            List<long[][]> rows = dev.subList(start, Math.min(dev.size(), start + batch));
            sum += loss(rows).item() * rows.size();
            n += rows.size();
        }
        return sum / n;
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
        T5Checkpoint.save(model, dir);
    }
}
