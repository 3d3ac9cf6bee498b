package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeviceAllocatorTest {
    /** A device of {@code capacity} bytes that counts driver calls. */
    static final class FakeMemory implements DeviceAllocator.Memory {
        final long capacity;
        long used;
        long next = 4096;
        int allocs;
        int frees;
        int syncs;
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        FakeMemory(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long alloc(long bytes) {
            if (used + bytes > capacity) {
                return 0;
            }
            allocs++;
            used += bytes;
            long p = next;
            next += bytes;
            sizes.put(p, bytes);
            return p;
        }

        @Override
        public void free(long ptr) {
            frees++;
            used -= sizes.remove(ptr);
        }

        @Override
        public long[] info() {
            return new long[] {capacity - used, capacity};
        }

        @Override
        public void synchronize() {
            syncs++;
        }
    }

    @Test
    void sizeClassesWasteLittle() {
        assertThat(DeviceAllocator.sizeClass(1)).isEqualTo(512);
        assertThat(DeviceAllocator.sizeClass(513)).isEqualTo(1024);
        for (long b : new long[] {(1 << 20) + 1, 3_000_000, 123_456_789}) {
            long c = DeviceAllocator.sizeClass(b);
            assertThat(c).isGreaterThanOrEqualTo(b).isLessThanOrEqualTo(b + b / 8 + 1);
        }
    }

    @Test
    void aSecondStepReusesTheFirstStepsBlocks() {
        FakeMemory mem = new FakeMemory(1 << 30);
        DeviceAllocator alloc = new DeviceAllocator(mem, "cuda:0", Long.MAX_VALUE);
        Set<Long> first = new HashSet<>();
        for (int step = 0; step < 3; step++) {
            var a = alloc.allocate(1000);
            var b = alloc.allocate(3_000_000);
            if (step == 0) {
                first.add(a.ptr());
                first.add(b.ptr());
            } else {
                assertThat(Set.of(a.ptr(), b.ptr())).isEqualTo(first);
            }
            alloc.release(a);
            alloc.release(b);
        }
        assertThat(mem.allocs).isEqualTo(2);
        assertThat(alloc.inUseBytes()).isZero();
        assertThat(alloc.cachedBytes()).isEqualTo(mem.used);
        alloc.emptyCache();
        assertThat(mem.used).isZero();
        assertThat(mem.syncs).as("work drains before memory goes back").isPositive();
    }

    @Test
    void outOfMemoryEmptiesTheCacheRetriesThenNamesTheRequest() {
        FakeMemory mem = new FakeMemory(10 << 20);
        DeviceAllocator alloc = new DeviceAllocator(mem, "cuda:0 (Fake GPU)", Long.MAX_VALUE);
        var cached = alloc.allocate(6 << 20);
        alloc.release(cached); // 6 MiB sits in the cache, 4 MiB free
        var big = alloc.allocate(8 << 20); // fits only once the cache is returned
        assertThat(mem.frees).isEqualTo(1);
        assertThatThrownBy(() -> alloc.allocate(5 << 20)).isInstanceOf(OutOfMemoryError.class)
                .hasMessageContaining("cuda:0 (Fake GPU)").hasMessageContaining("cannot allocate 5.0 MiB")
                .hasMessageContaining("live tensors hold 8.0 MiB").hasMessageContaining("2.0 MiB free of 10.0 MiB");
        alloc.release(big);
    }

    @Test
    void aBoundedCacheReturnsWhatExceedsIt() {
        FakeMemory mem = new FakeMemory(1 << 30);
        DeviceAllocator alloc = new DeviceAllocator(mem, "cuda:0", 4096);
        var a = alloc.allocate(4096);
        var b = alloc.allocate(4096);
        alloc.release(a);
        alloc.release(b);
        assertThat(alloc.cachedBytes()).isEqualTo(4096);
        assertThat(mem.frees).isEqualTo(1);
    }
}
