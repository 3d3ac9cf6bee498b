package dev.t4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.tensor.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class EpochBatchesTest {
    @Test
    void everyEpochTakesEachExampleOnceInANewOrder() {
        EpochBatches batches = new EpochBatches(10);
        Generator data = new Generator(1);
        List<Integer> drawn = new ArrayList<>();
        for (int b = 0; b < 10; b++) { // 3 epochs of 10 from batches of 3
            for (int i : batches.next(data, 3)) {
                drawn.add(i);
            }
        }
        assertThat(batches.epoch()).isEqualTo(3);
        List<Integer> all = IntStream.range(0, 10).boxed().toList();
        List<Integer> first = drawn.subList(0, 10);
        List<Integer> second = drawn.subList(10, 20);
        assertThat(first).containsExactlyInAnyOrderElementsOf(all);
        assertThat(second).containsExactlyInAnyOrderElementsOf(all);
        assertThat(drawn.subList(20, 30)).containsExactlyInAnyOrderElementsOf(all);
        assertThat(first).isNotEqualTo(all).isNotEqualTo(second); // shuffled, and anew each epoch
    }

    @Test
    void theSameSeedGivesTheSameBatchesAndAnotherSeedOthers() {
        int[] a = new EpochBatches(50).next(new Generator(7), 20);
        int[] b = new EpochBatches(50).next(new Generator(7), 20);
        int[] c = new EpochBatches(50).next(new Generator(8), 20);
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void aRestoredSamplerDrawsWhatTheUninterruptedOneDraws() {
        Generator data = new Generator(3);
        EpochBatches straight = new EpochBatches(7);
        List<int[]> expected = new ArrayList<>();
        long[] mid = null;
        for (int b = 0; b < 8; b++) {
            if (b == 3) {
                mid = straight.state(); // mid-epoch: 9 of 7 drawn, the second epoch 2 in
            }
            expected.add(straight.next(data, 3));
        }
        EpochBatches resumed = new EpochBatches(7);
        resumed.restore(mid);
        for (int b = 3; b < 8; b++) {
            assertThat(resumed.next(new Generator(99), 3)).as("batch %d", b).isEqualTo(expected.get(b));
        }
        // a state taken before the first draw restores to a sampler that still takes its seed from the generator
        EpochBatches fresh = new EpochBatches(7);
        fresh.restore(new EpochBatches(7).state());
        assertThat(fresh.next(new Generator(3), 3)).isEqualTo(expected.getFirst());
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> new EpochBatches(0)).hasMessageContaining("no examples");
        assertThatThrownBy(() -> new EpochBatches(5).restore(new long[] {1, 2, 0, 9}))
                .hasMessageContaining("5 examples").hasMessageContaining(Arrays.toString(new long[] {1, 2, 0, 9}));
    }
}
