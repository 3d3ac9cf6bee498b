package dev.t4j.memory;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Off-heap host memory from the C allocator, 64-byte aligned (one AVX-512 vector / cache line), released
 * deterministically by its scope. Not an {@code Arena}: a shared arena per tensor would make every release a
 * cross-thread handshake, and one arena per scope could not hand single tensors to an outer scope.
 */
public final class HostStorage extends Storage {
    public static final long ALIGNMENT = 64;
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(libc.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(libc.find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private final MemorySegment segment;

    private HostStorage(MemorySegment segment, long bytes) {
        super(bytes);
        this.segment = segment;
    }

    /** Allocates {@code bytes} of uninitialised memory in the current scope. */
    public static HostStorage allocate(long bytes) {
        long rounded = Math.max(ALIGNMENT, (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT);
        MemorySegment raw;
        try {
            raw = (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGNMENT, rounded);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
        if (raw.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("t4j: cannot allocate " + bytes + " bytes of host memory ("
                    + Storage.liveBytes() + " bytes already held by live tensors)");
        }
        return new HostStorage(raw.reinterpret(bytes), bytes);
    }

    /** The memory, after checking it has not been released. */
    public MemorySegment segment() {
        checkLive();
        return segment;
    }

    @Override
    protected void free() {
        try {
            FREE.invokeExact(segment);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }
}
