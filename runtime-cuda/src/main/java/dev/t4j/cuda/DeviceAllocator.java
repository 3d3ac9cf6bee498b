package dev.t4j.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching device-memory allocator. cuMemAlloc and cuMemFree synchronise the device and take hundreds of
 * microseconds, and a training step allocates the same sizes as the one before, so released blocks are kept per size
 * class and handed to the next request of that class. All work runs on one stream, so a block released by a scope
 * and reused by a later kernel is only touched after the kernels queued before it.
 *
 * <p>When the device is out of memory, the cache is returned to the driver and the request retried once; if it still
 * fails the error names the request, what live tensors hold, and what the device has free.
 */
final class DeviceAllocator {
    /** The raw device calls (the driver on a GPU; a fake in tests). */
    interface Memory {
        /** A block of {@code bytes}, or 0 when the device is out of memory. */
        long alloc(long bytes);

        void free(long ptr);

        /** {free, total} bytes on the device. */
        long[] info();

        /** Waits for queued work (before memory really goes back to the driver). */
        void synchronize();
    }

    /** A block handed out: its address and the size class it came from. */
    record Block(long ptr, long size) {}

    private final Memory memory;
    private final String device;
    private final long cacheLimit;
    private final Map<Long, ArrayDeque<Long>> cache = new HashMap<>();
    private long cachedBytes;
    private long inUseBytes;

    DeviceAllocator(Memory memory, String device, long cacheLimit) {
        this.memory = memory;
        this.device = device;
        this.cacheLimit = cacheLimit;
    }

    /** 512-byte multiples up to 1 MiB, then steps of 1/8 of a power of two (at most 12.5 % unused). */
    static long sizeClass(long bytes) {
        long b = Math.max(512, bytes);
        if (b <= 1 << 20) {
            return (b + 511) / 512 * 512;
        }
        long step = Long.highestOneBit(b - 1) / 8;
        return (b + step - 1) / step * step;
    }

    synchronized Block allocate(long bytes) {
        long size = sizeClass(bytes);
        ArrayDeque<Long> free = cache.get(size);
        if (free != null && !free.isEmpty()) {
            cachedBytes -= size;
            inUseBytes += size;
            return new Block(free.pop(), size);
        }
        long ptr = memory.alloc(size);
        if (ptr == 0) {
            emptyCache();
            ptr = memory.alloc(size);
        }
        if (ptr == 0) {
            long[] info = memory.info();
            throw new OutOfMemoryError(String.format("CUDA out of memory on %s: cannot allocate %s; live tensors hold "
                    + "%s, the cache was emptied and the request retried; the device has %s free of %s. Use smaller "
                    + "batches or sequences, or release tensors with a Scope.", device, mib(bytes), mib(inUseBytes),
                    mib(info[0]), mib(info[1])));
        }
        inUseBytes += size;
        return new Block(ptr, size);
    }

    synchronized void release(Block block) {
        inUseBytes -= block.size();
        if (cachedBytes + block.size() <= cacheLimit) {
            cache.computeIfAbsent(block.size(), k -> new ArrayDeque<>()).push(block.ptr());
            cachedBytes += block.size();
        } else {
            memory.synchronize();
            memory.free(block.ptr());
        }
    }

    /** Returns every cached block to the driver, as torch.cuda.empty_cache(). */
    synchronized void emptyCache() {
        if (cachedBytes == 0) {
            return;
        }
        memory.synchronize();
        for (ArrayDeque<Long> free : cache.values()) {
            while (!free.isEmpty()) {
                memory.free(free.pop());
            }
        }
        cachedBytes = 0;
    }

    synchronized long inUseBytes() {
        return inUseBytes;
    }

    synchronized long cachedBytes() {
        return cachedBytes;
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
