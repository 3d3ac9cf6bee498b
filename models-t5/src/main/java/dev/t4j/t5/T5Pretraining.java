package dev.t4j.t5;

import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.train.TrainingTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * T5's span-corruption pretraining on a token stream. Windows of the raw length that corrupts to exactly
 * {@code inputLength} tokens ({@link SpanCorruption#lengthsFor}) are cut from the stream, so examples pack the
 * encoder input with no padding, as in the paper; training windows start anywhere and are corrupted anew each time
 * they are drawn, held-out windows are consecutive and corrupted once with a fixed seed, so every evaluation scores
 * the same spans.
 */
public final class T5Pretraining implements TrainingTask {
    /**
     * Held-out span reconstruction: mean loss per target token, the share of target tokens predicted exactly, and
     * the share of the hidden tokens alone (the sentinels and </s> in a target are predictable from its structure).
     */
    public record Evaluation(double loss, double accuracy, double hiddenAccuracy, long targetTokens) {}

    private final T5ForConditionalGeneration model;
    private final int[] train;
    private final SpanCorruption corruption;
    private final int batch;
    private final int raw;
    private final List<SpanCorruption.Example> eval;

    public T5Pretraining(T5ForConditionalGeneration model, int[] train, int[] heldOut, SpanCorruption corruption,
            int inputLength, int batch, int evalBatches) {
        this.raw = corruption.lengthsFor(inputLength)[0];
        if (train.length <= raw || heldOut.length < raw) {
            throw new IllegalArgumentException("windows of " + raw + " tokens (corrupted to inputs of " + inputLength
                    + ") need longer splits than " + train.length + " training and " + heldOut.length
                    + " held-out tokens; use a longer corpus or a shorter input length");
        }
        this.model = model;
        this.train = train;
        this.corruption = corruption;
        this.batch = batch;
        this.eval = windows(heldOut, raw, Math.max(1, evalBatches) * batch, corruption, new Generator(20261128));
    }

    /** Up to {@code count} consecutive windows of {@code heldOut}, each corrupted once. */
    private static List<SpanCorruption.Example> windows(int[] tokens, int raw, int count, SpanCorruption sc, Generator g) {
        List<SpanCorruption.Example> out = new ArrayList<>();
        for (int start = 0; start + raw <= tokens.length && out.size() < count; start += raw) {
            out.add(sc.apply(window(tokens, start, raw), g));
        }
        return out;
    }

    private static long[] window(int[] tokens, int start, int length) {
        long[] w = new long[length];
        for (int i = 0; i < length; i++) {
            w[i] = tokens[start + i];
        }
        return w;
    }

    /** The held-out examples every evaluation scores. */
    public List<SpanCorruption.Example> heldOut() {
        return eval;
    }

    @Override
    public Module model() {
        return model;
    }

    private Seq2SeqBatch batch(List<SpanCorruption.Example> examples) {
        return Seq2SeqBatch.pack(examples.stream().map(SpanCorruption.Example::input).toList(),
                examples.stream().map(SpanCorruption.Example::target).toList(), model.config.padTokenId());
    }

    @Override
    public Tensor trainLoss(Generator data) {
        List<SpanCorruption.Example> examples = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            examples.add(corruption.apply(window(train, data.nextInt(train.length - raw + 1), raw), data));
        }
        Seq2SeqBatch b = batch(examples);
        return b.logits(model).crossEntropy(b.labels(), -100);
    }

    @Override
    public double evalLoss() {
        return evaluate().loss();
    }

    /** Loss and accuracy over the held-out examples, weighted by target tokens (the trainer's caller sets no-grad). */
    public Evaluation evaluate() {
        double loss = 0;
        long correct = 0;
        long total = 0;
        long hiddenCorrect = 0;
        long hiddenTotal = 0;
        for (int start = 0; start < eval.size(); start += batch) {
            List<SpanCorruption.Example> examples = eval.subList(start, Math.min(eval.size(), start + batch));
            Seq2SeqBatch b = batch(examples);
            Tensor logits = b.logits(model);
            int t = b.labels().shape()[1];
            long[] predicted = logits.argmax(-1, false).toLongArray();
            long n = 0;
            for (int row = 0; row < examples.size(); row++) {
                SpanCorruption.Example e = examples.get(row);
                for (int k = 0; k < e.target().length; k++) {
                    boolean right = predicted[row * t + k] == e.target()[k];
                    n++;
                    correct += right ? 1 : 0;
                    if (e.hidden()[k]) {
                        hiddenTotal++;
                        hiddenCorrect += right ? 1 : 0;
                    }
                }
            }
            loss += logits.crossEntropy(b.labels(), -100).item() * n;
            total += n;
        }
        return new Evaluation(loss / total, (double) correct / total, (double) hiddenCorrect / hiddenTotal, total);
    }

    /**
     * The cross-entropy of the held-out targets under add-one-smoothed target-token frequencies of the training
     * stream, corrupted once window by window: what a model that ignores the input and its own prefix scores.
     */
    public double unigramBaseline() {
        int vocab = model.config.vocabSize();
        double[] counts = new double[vocab];
        Arrays.fill(counts, 1);
        double total = vocab;
        for (SpanCorruption.Example e : windows(train, raw, Integer.MAX_VALUE, corruption, new Generator(7))) {
            for (long id : e.target()) {
                counts[(int) id]++;
                total++;
            }
        }
        double nll = 0;
        long n = 0;
        for (SpanCorruption.Example e : eval) {
            for (long id : e.target()) {
                nll -= Math.log(counts[(int) id] / total);
                n++;
            }
        }
        return nll / n;
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
