package dev.t4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The memory half of a stand-in GPU for tests: "device" addresses are host memory (never freed: tests are short and
 * the backend's allocator reuses blocks), so uploads, downloads and device copies are real. Each allocation sits
 * between two guard zones of a known pattern; {@link #checkGuards} (after every launch, product, copy and fill) fails
 * the test that wrote outside its buffer, which a real GPU would let corrupt a neighbouring allocation silently.
 */
abstract class HostMemoryDevice implements CudaDevice {
    private final Arena arena = Arena.ofShared();

    @Override
    public void bind() {}

    private static final long GUARD = 256;
    private static final long PATTERN = 0xA5A5_5A5A_C3C3_3C3CL;
    private final Map<Long, Long> live = new ConcurrentHashMap<>();

    @Override
    public long alloc(long bytes) {
        long size = (Math.max(bytes, 1) + 7) & ~7L;
        MemorySegment s = arena.allocate(size + 2 * GUARD, 256);
        for (long o = 0; o < GUARD; o += 8) {
            s.set(ValueLayout.JAVA_LONG, o, PATTERN);
            s.set(ValueLayout.JAVA_LONG, GUARD + size + o, PATTERN);
        }
        // a GPU's fresh memory holds whatever was there before, never guaranteed zeros: so neither does this one's
        s.asSlice(GUARD, size).fill((byte) 0x3F);
        long ptr = s.address() + GUARD;
        live.put(ptr, size);
        return ptr;
    }

    /** Throws, naming the operation and the buffer, when anything wrote into a guard zone. */
    void checkGuards(String after) {
        for (var e : live.entrySet()) {
            long ptr = e.getKey();
            long size = e.getValue();
            MemorySegment before = at(ptr - GUARD, GUARD);
            MemorySegment behind = at(ptr + size, GUARD);
            for (long o = 0; o < GUARD; o += 8) {
                if (before.get(ValueLayout.JAVA_LONG, o) != PATTERN || behind.get(ValueLayout.JAVA_LONG, o) != PATTERN) {
                    throw new IllegalStateException(after + " wrote outside a buffer of " + size + " bytes at 0x"
                            + Long.toHexString(ptr) + " (" + (before.get(ValueLayout.JAVA_LONG, o) != PATTERN
                            ? "before its start" : "after its end, at byte " + (size + o)) + ")");
                }
            }
        }
    }

    @Override
    public void free(long ptr) {}

    @Override
    public long[] info() {
        return new long[] {1L << 30, 1L << 30};
    }

    @Override
    public void synchronize() {}

    @Override
    public void synchronize(String op) {}

    static MemorySegment at(long address, long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void copyToDevice(long dst, MemorySegment host, long bytes) {
        MemorySegment.copy(host, 0, at(dst, bytes), 0, bytes);
        checkGuards("an upload");
    }

    @Override
    public void copyToHost(MemorySegment host, long src, long bytes) {
        MemorySegment.copy(at(src, bytes), 0, host, 0, bytes);
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes);
        checkGuards("a device copy");
    }

    @Override
    public void zero(long dst, long bytes) {
        at(dst, bytes).fill((byte) 0);
        checkGuards("a fill");
    }
}
