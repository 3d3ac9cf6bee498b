package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The worker pool: fixed chunk ranges whoever claims them, every index once, failures surfacing in the caller. */
class ParallelTest {
    @Test
    void chunksHaveFixedRangesAndCoverEveryIndexOnce() {
        Parallel par = new Parallel(3);
        int n = 1000;
        for (int round = 0; round < 200; round++) {
            AtomicIntegerArray visits = new AtomicIntegerArray(n);
            Set<List<Integer>> ranges = ConcurrentHashMap.newKeySet();
            par.forRange(n, 1, (s, e) -> {
                ranges.add(List.of(s, e));
                for (int i = s; i < e; i++) {
                    visits.incrementAndGet(i);
                }
            });
            // the ranges depend on the chunk index only, so a result cannot depend on which thread claimed it
            assertThat(ranges).containsExactlyInAnyOrder(List.of(0, 333), List.of(333, 666), List.of(666, 1000));
            for (int i = 0; i < n; i++) {
                assertThat(visits.get(i)).as("visits of index %d in round %d", i, round).isEqualTo(1);
            }
        }
    }

    @Test
    void aFailingChunkFailsTheCallAndLeavesThePoolUsable() {
        Parallel par = new Parallel(2);
        assertThatThrownBy(() -> par.forRange(100, 1, (s, e) -> {
            if (s > 0) {
                throw new IllegalStateException("chunk from " + s);
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("chunk from 50");
        int[] count = new int[1];
        par.forRange(100, 1, (s, e) -> {
            synchronized (count) {
                count[0] += e - s;
            }
        });
        assertThat(count[0]).isEqualTo(100);
    }
}
