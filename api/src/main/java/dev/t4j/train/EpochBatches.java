package dev.t4j.train;

import dev.t4j.tensor.Generator;

/**
 * Batches that go through n examples in a random order, each once an epoch, the order drawn anew for every epoch:
 * torch's {@code DataLoader(shuffle=True)} with a seeded generator, and Hugging Face Trainer's sampler. A batch that
 * reaches the end of an epoch is completed from the start of the next, so every batch has the size asked for. The
 * orders follow from a seed taken from the trainer's data generator at the first draw; the position is four numbers
 * ({@link #state}), which the trainer's checkpoints keep ({@link TrainingTask#sampler}), so that a resumed run draws
 * the batches the uninterrupted one would have.
 */
public final class EpochBatches {
    private final int n;
    private long seed;
    private boolean seeded;
    private long epoch;
    private int offset;
    private int[] order; // epoch's, once seeded

    public EpochBatches(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("no examples to batch");
        }
        this.n = n;
    }

    /** The indices of the next {@code batch} examples. */
    public int[] next(Generator data, int batch) {
        if (!seeded) {
            seed = data.nextLong();
            seeded = true;
            order = permutation(n, seed, epoch);
        }
        int[] out = new int[batch];
        for (int i = 0; i < batch; i++) {
            if (offset == n) {
                order = permutation(n, seed, ++epoch);
                offset = 0;
            }
            out[i] = order[offset++];
        }
        return out;
    }

    /** Epochs completed so far. */
    public long epoch() {
        return offset == n ? epoch + 1 : epoch;
    }

    /** {seeded ? 1 : 0, seed, epoch, offset}: where the next batch starts. */
    public long[] state() {
        return new long[] {seeded ? 1 : 0, seed, epoch, offset};
    }

    /** Continues from a {@link #state}. */
    public void restore(long[] s) {
        if (s.length != 4 || s[3] < 0 || s[3] > n) {
            throw new IllegalArgumentException("not an epoch sampler's state for " + n + " examples: "
                    + java.util.Arrays.toString(s));
        }
        seeded = s[0] == 1;
        seed = s[1];
        epoch = s[2];
        offset = (int) s[3];
        order = seeded ? permutation(n, seed, epoch) : null;
    }

    /** Epoch {@code epoch}'s order: Fisher-Yates with a generator of its own, so any epoch can be redrawn alone. */
    static int[] permutation(int n, long seed, long epoch) {
        Generator g = new Generator(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1)));
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = g.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
