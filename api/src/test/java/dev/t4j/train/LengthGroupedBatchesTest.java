package dev.t4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.tensor.Generator;
import org.junit.jupiter.api.Test;

class LengthGroupedBatchesTest {
    @Test
    void batchesHoldSimilarLengthsAndEveryExampleIsDrawnAlike() {
        Generator g = new Generator(1);
        int n = 1000;
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = 5 + g.nextInt(60);
        }
        LengthGroupedBatches batches = new LengthGroupedBatches(lengths, 7);
        Generator data = new Generator(2);
        Generator uniform = new Generator(3);
        int[] drawn = new int[n];
        long grouped = 0;
        long random = 0;
        int draws = 20_000;
        for (int d = 0; d < draws; d++) {
            int[] batch = batches.draw(data, 16);
            assertThat(batch).hasSize(16).doesNotHaveDuplicates();
            int max = 0;
            int sum = 0;
            for (int i : batch) {
                drawn[i]++;
                max = Math.max(max, lengths[i]);
                sum += lengths[i];
            }
            grouped += 16L * max - sum; // padded positions
            int rmax = 0;
            int rsum = 0;
            for (int k = 0; k < 16; k++) {
                int i = uniform.nextInt(n);
                rmax = Math.max(rmax, lengths[i]);
                rsum += lengths[i];
            }
            random += 16L * rmax - rsum;
        }
        assertThat((double) grouped / random).as("padding against uniform batches").isLessThan(0.05);
        double expected = draws * 16.0 / n; // 320
        for (int i = 0; i < n; i++) {
            assertThat(drawn[i]).as("example %d", i).isBetween((int) (expected * 0.75), (int) (expected * 1.25));
        }
        // the same generator state gives the same batch (what resuming relies on)
        assertThat(batches.draw(new Generator(9), 16)).containsExactly(batches.draw(new Generator(9), 16));
        assertThat(new LengthGroupedBatches(new int[] {3, 1, 2}, 1).draw(new Generator(4), 16)).hasSize(3);
    }
}
