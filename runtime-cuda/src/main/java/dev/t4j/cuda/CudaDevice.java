package dev.t4j.cuda;

import java.lang.foreign.MemorySegment;

/**
 * What the CUDA backend needs from a GPU: memory, copies, kernel launches on its stream, products. {@link
 * DriverDevice} is the real one; tests substitute a recording one, so that every op's launch is checked against the
 * kernels' signatures in the PTX without a GPU.
 */
interface CudaDevice extends DeviceAllocator.Memory {
    /** e.g. "cuda:0 (NVIDIA H100 80GB HBM3)". */
    String describe();

    /** Makes the device's context current on the calling thread (a no-op once done). */
    void bind();

    /** Copies host bytes to the device and waits. */
    void copyToDevice(long dst, MemorySegment host, long bytes);

    /** Waits for queued work, then copies device bytes to the host. */
    void copyToHost(MemorySegment host, long src, long bytes);

    void copyOnDevice(long dst, long src, long bytes);

    void zero(long dst, long bytes);

    /** Queues kernel {@code k} with the packed argument array {@code params}; {@code op} names it in errors. */
    void launch(Kernel k, int grid, int block, MemorySegment params, String op);

    /** Waits for queued work; an error from an earlier kernel surfaces here, reported against {@code op}. */
    void synchronize(String op);

    /** The products (cuBLAS on a GPU). */
    Blas blas();

    /** Strided-batched products as {@link GemmPlan}s describe them; addresses of X (from b), Y (from a) and C. */
    interface Blas {
        void sgemm(GemmPlan p, long x, long y, long c);

        void dgemm(GemmPlan p, long x, long y, long c);

        void gemmBf16(GemmPlan p, long x, long y, long c, boolean bf16Out);
    }
}
