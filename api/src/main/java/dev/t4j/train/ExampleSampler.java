package dev.t4j.train;

import dev.t4j.tensor.Generator;

/**
 * Which training examples each batch of a task takes: all of them once an epoch in a new random order
 * ({@link EpochBatches}, the default), or runs of examples of similar length ({@link LengthGroupedBatches}, Hugging
 * Face's group_by_length). A task that returns one from {@link TrainingTask#sampler} has its {@link #state} kept in the
 * trainer's checkpoints, so that a resumed run draws the batches the uninterrupted one would have.
 */
public final class ExampleSampler {
    private final EpochBatches epochs;
    private LengthGroupedBatches byLength;

    /** Sampling {@code n} examples (at least one). */
    public ExampleSampler(int n) {
        epochs = new EpochBatches(n);
    }

    /** From now on, batches of similar length ({@code lengths[i]} is example i's) in an order fixed by {@code seed}. */
    public void groupByLength(int[] lengths, long seed) {
        byLength = new LengthGroupedBatches(lengths, seed);
    }

    /** The indices of the next batch's {@code batch} examples (fewer only when grouping by length a smaller set). */
    public int[] next(Generator data, int batch) {
        return byLength != null ? byLength.draw(data, batch) : epochs.next(data, batch);
    }

    /** The position beyond the trainer's data generator; empty when grouping by length, which needs none. */
    public long[] state() {
        return byLength != null ? new long[0] : epochs.state();
    }

    /** Continues from a {@link #state}. */
    public void restore(long[] state) {
        if (byLength == null) {
            epochs.restore(state);
        } else if (state.length != 0) {
            throw new IllegalArgumentException("the checkpoint holds an epoch sampler's position, but this run groups "
                    + "batches by length");
        }
    }
}
