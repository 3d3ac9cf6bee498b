package dev.t4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The memory half of a stand-in GPU for tests: "device" addresses are host memory (never freed: tests are short and
 * the backend's allocator reuses blocks), so uploads, downloads and device copies are real.
 */
abstract class HostMemoryDevice implements CudaDevice {
    private final Arena arena = Arena.ofShared();

    @Override
    public void bind() {}

    @Override
    public long alloc(long bytes) {
        return arena.allocate(Math.max(bytes, 1), 256).address();
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
    }

    @Override
    public void copyToHost(MemorySegment host, long src, long bytes) {
        MemorySegment.copy(at(src, bytes), 0, host, 0, bytes);
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes);
    }

    @Override
    public void zero(long dst, long bytes) {
        at(dst, bytes).fill((byte) 0);
    }
}
