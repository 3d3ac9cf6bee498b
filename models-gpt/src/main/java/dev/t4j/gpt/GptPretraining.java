package dev.t4j.gpt;

import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.train.TrainingTask;
import java.nio.file.Path;

/**
 * Causal language-model pretraining (GPT): random windows of {@code context + 1} tokens from a token stream, each
 * position predicting the next token. Evaluation uses fixed windows of the held-out stream, the same every time.
 */
public final class GptPretraining implements TrainingTask {
    private final GPT2LMHeadModel model;
    private final int[] train;
    private final int[] eval;
    private final int batch;
    private final int context;
    private final int evalBatches;

    public GptPretraining(GPT2LMHeadModel model, int[] train, int[] eval, int batch, int context, int evalBatches) {
        if (context > model.config.nPositions()) {
            throw new IllegalArgumentException("context " + context + " exceeds the model's n_positions "
                    + model.config.nPositions());
        }
        for (int[] split : new int[][] {train, eval}) {
            if (split.length < context + 2) {
                throw new IllegalArgumentException("a split of " + split.length + " tokens is too short for windows of "
                        + (context + 1) + " tokens; use a longer corpus or a shorter --context");
            }
        }
        this.model = model;
        this.train = train;
        this.eval = eval;
        this.batch = batch;
        this.context = context;
        this.evalBatches = evalBatches;
    }

    @Override
    public Module model() {
        return model;
    }

    @Override
    public Tensor trainLoss(Generator data) {
        long[] x = new long[batch * context];
        long[] y = new long[batch * context];
        for (int b = 0; b < batch; b++) {
            fill(train, data.nextInt(train.length - context - 1), x, y, b);
        }
        return loss(x, y);
    }

    private void fill(int[] tokens, int start, long[] x, long[] y, int row) {
        for (int t = 0; t < context; t++) {
            x[row * context + t] = tokens[start + t];
            y[row * context + t] = tokens[start + t + 1];
        }
    }

    private Tensor loss(long[] x, long[] y) {
        return model.loss(Tensor.of(x, batch, context), null, Tensor.of(y, batch, context));
    }

    @Override
    public double evalLoss() {
        int windows = evalBatches * batch;
        int span = eval.length - context - 1;
        double sum = 0;
        for (int k = 0; k < evalBatches; k++) {
            long[] x = new long[batch * context];
            long[] y = new long[batch * context];
            for (int b = 0; b < batch; b++) {
                fill(eval, (int) ((long) span * (k * batch + b) / windows), x, y, b);
            }
            sum += loss(x, y).item();
        }
        return sum / evalBatches;
    }

    @Override
    public long itemsPerBatch() {
        return (long) batch * context;
    }

    @Override
    public void saveModel(Path dir) {
        GPT2Checkpoint.save(model, dir);
    }

    /** Cross-entropy of {@code eval} under the add-one-smoothed token frequencies of {@code train}: the bar to beat. */
    public static double unigramBaseline(int[] train, int[] eval, int vocab) {
        double[] counts = new double[vocab];
        java.util.Arrays.fill(counts, 1);
        for (int t : train) {
            counts[t]++;
        }
        double total = train.length + vocab;
        double nll = 0;
        for (int t : eval) {
            nll -= Math.log(counts[t] / total);
        }
        return nll / eval.length;
    }
}
