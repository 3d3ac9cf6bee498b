package dev.t4j.cuda;

import dev.t4j.memory.Storage;

/** Device memory of one tensor storage, from the {@link DeviceAllocator}; back in its cache when the scope closes. */
final class CudaStorage extends Storage {
    private final DeviceAllocator allocator;
    private final DeviceAllocator.Block block;

    CudaStorage(DeviceAllocator allocator, long bytes) {
        this(allocator, allocator.allocate(bytes), bytes);
    }

    private CudaStorage(DeviceAllocator allocator, DeviceAllocator.Block block, long bytes) {
        super(bytes);
        this.allocator = allocator;
        this.block = block;
    }

    /** The device address, after checking the storage was not released. */
    long address() {
        checkLive();
        return block.ptr();
    }

    @Override
    protected void free() {
        allocator.release(block);
    }
}
