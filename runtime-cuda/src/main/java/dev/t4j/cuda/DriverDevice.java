package dev.t4j.cuda;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * A GPU through the driver API: the device's primary context, one stream that every copy, kernel and product is
 * queued on, the loaded kernels, cuBLAS, and a pinned staging buffer through which host memory (which may be a Java
 * array) travels.
 */
final class DriverDevice implements CudaDevice {
    private static final long STAGING_BYTES = 32L << 20;

    private final Driver driver;
    private final String description;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final Map<Kernel, MemorySegment> functions = new EnumMap<>(Kernel.class);
    private final Cublas cublas;
    private final MemorySegment staging;
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> false);

    DriverDevice(Driver driver, int ordinal, String ptx, Path cublasLibrary, boolean tf32) {
        this.driver = driver;
        int dev = driver.device(ordinal);
        this.description = "cuda:" + ordinal + " (" + driver.deviceName(dev) + ")";
        this.context = driver.primaryContext(dev);
        bind();
        this.stream = driver.createStream();
        MemorySegment module = Kernels.load(driver, ptx);
        for (Kernel k : Kernel.values()) {
            functions.put(k, driver.function(module, k.symbol()));
        }
        this.cublas = new Cublas(cublasLibrary, stream);
        cublas.allowTf32(tf32);
        this.staging = driver.pinnedHost(STAGING_BYTES);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void bind() {
        if (!bound.get()) {
            driver.setCurrent(context);
            bound.set(true);
        }
    }

    @Override
    public long alloc(long bytes) {
        return driver.memAlloc(bytes);
    }

    @Override
    public void free(long ptr) {
        bind();
        driver.memFree(ptr);
    }

    @Override
    public long[] info() {
        return driver.memInfo();
    }

    @Override
    public void synchronize() {
        synchronize("free");
    }

    @Override
    public void synchronize(String op) {
        bind();
        driver.streamSynchronize(stream, op);
    }

    @Override
    public void copyToDevice(long dst, MemorySegment host, long bytes) {
        synchronized (staging) {
            for (long done = 0; done < bytes; done += STAGING_BYTES) {
                long n = Math.min(STAGING_BYTES, bytes - done);
                MemorySegment.copy(host, done, staging, 0, n);
                driver.copyHostToDevice(dst + done, staging, n, stream);
                driver.streamSynchronize(stream, "upload");
            }
        }
    }

    @Override
    public void copyToHost(MemorySegment host, long src, long bytes) {
        synchronized (staging) {
            for (long done = 0; done < bytes; done += STAGING_BYTES) {
                long n = Math.min(STAGING_BYTES, bytes - done);
                driver.copyDeviceToHost(staging, src + done, n, stream);
                driver.streamSynchronize(stream, "download (or an earlier kernel)");
                MemorySegment.copy(staging, 0, host, done, n);
            }
        }
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        driver.copyDeviceToDevice(dst, src, bytes, stream);
    }

    @Override
    public void zero(long dst, long bytes) {
        driver.memsetZero(dst, bytes, stream);
    }

    @Override
    public void launch(Kernel k, int grid, int block, MemorySegment params, String op) {
        driver.launch(functions.get(k), grid, block, 0, stream, params, op);
    }

    @Override
    public Blas blas() {
        return cublas;
    }
}
