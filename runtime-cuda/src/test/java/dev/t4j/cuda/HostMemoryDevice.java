package dev.t4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
    /** What each guard zone holds: a byte pattern no kernel writes by chance. */
    private static final MemorySegment PATTERN = Arena.global().allocate(GUARD).fill((byte) 0xA5);
    private final Map<Long, Long> live = new ConcurrentHashMap<>();

    @Override
    public long alloc(long bytes) {
        long size = (Math.max(bytes, 1) + 7) & ~7L;
        MemorySegment s = arena.allocate(size + 2 * GUARD, 256);
        MemorySegment.copy(PATTERN, 0, s, 0, GUARD);
        MemorySegment.copy(PATTERN, 0, s, GUARD + size, GUARD);
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
            long before = at(ptr - GUARD, GUARD).mismatch(PATTERN);
            long behind = at(ptr + size, GUARD).mismatch(PATTERN);
            if (before >= 0 || behind >= 0) {
                throw new IllegalStateException(after + " wrote outside a buffer of " + size + " bytes at 0x"
                        + Long.toHexString(ptr) + " (" + (before >= 0 ? "before its start"
                        : "after its end, at byte " + (size + behind)) + ")");
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
