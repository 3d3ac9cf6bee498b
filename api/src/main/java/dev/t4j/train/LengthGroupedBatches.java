package dev.t4j.train;

import dev.t4j.tensor.Generator;

/**
 * Batches of examples of similar length, so that padding each batch to its longest wastes little (Hugging Face's
 * group_by_length). The examples are ranked by length once (equal lengths in a seeded random order) and the ranking
 * is read as a circle; a batch is {@code batch} consecutive examples from a uniformly drawn start. Each example is
 * in exactly {@code batch} of the possible windows, so it is drawn exactly as often as under uniform sampling; the
 * few windows that wrap around join the longest examples with the shortest. A draw uses only the trainer's data
 * generator, so a resumed run draws the same batches.
 */
public final class LengthGroupedBatches {
    private final int[] ranked;

    public LengthGroupedBatches(int[] lengths, long seed) {
        int n = lengths.length;
        if (n == 0) {
            throw new IllegalArgumentException("no examples to batch");
        }
        Generator g = new Generator(seed);
        Integer[] order = new Integer[n];
        long[] tie = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            tie[i] = g.nextInt(Integer.MAX_VALUE);
        }
        java.util.Arrays.sort(order, (a, b) -> lengths[a] != lengths[b] ? Integer.compare(lengths[a], lengths[b])
                : Long.compare(tie[a], tie[b]));
        ranked = new int[n];
        for (int r = 0; r < n; r++) {
            ranked[r] = order[r];
        }
    }

    /** The indices of one batch of {@code batch} examples (all of them, if there are fewer) of similar length. */
    public int[] draw(Generator data, int batch) {
        int n = ranked.length;
        int size = Math.min(batch, n);
        int start = data.nextInt(n);
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            out[i] = ranked[(start + i) % n];
        }
        return out;
    }
}
