package dev.t4j.cuda;

import static dev.t4j.cuda.Native.INT;
import static dev.t4j.cuda.Native.LONG;
import static dev.t4j.cuda.Native.PTR;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA driver API ({@code libcuda.so.1}) through FFM: the few calls t4j needs, each checked, a failure thrown as
 * a {@link CudaException} carrying the driver's own error name (CUDA_ERROR_OUT_OF_MEMORY...) and the call.
 * The driver rather than the runtime API because it loads PTX modules and needs no toolkit on the user's machine.
 */
final class Driver {
    static final int CUDA_SUCCESS = 0;
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    static final int CUDA_ERROR_NO_DEVICE = 100;
    static final int CUDA_ERROR_INVALID_PTX = 218;
    static final int CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;
    static final int ATTRIBUTE_CC_MAJOR = 75;
    static final int ATTRIBUTE_CC_MINOR = 76;
    private static final int JIT_ERROR_LOG_BUFFER = 5;
    private static final int JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
            cuDeviceGetAttribute, cuDevicePrimaryCtxRetain, cuCtxSetCurrent, cuCtxSynchronize, cuStreamCreate,
            cuStreamSynchronize, cuMemAlloc, cuMemFree, cuMemGetInfo, cuMemHostAlloc, cuMemcpyHtoDAsync,
            cuMemcpyDtoHAsync, cuMemcpyDtoDAsync, cuMemsetD8Async, cuModuleLoadDataEx, cuModuleGetFunction,
            cuLaunchKernel, cuGetErrorName;

    /** Loads the driver library; throws IllegalArgumentException (from FFM) when it is not installed. */
    Driver() {
        Native n = new Native("libcuda.so.1", driverLibrary());
        cuInit = n.status("cuInit", INT);
        cuDriverGetVersion = n.status("cuDriverGetVersion", PTR);
        cuDeviceGetCount = n.status("cuDeviceGetCount", PTR);
        cuDeviceGet = n.status("cuDeviceGet", PTR, INT);
        cuDeviceGetName = n.status("cuDeviceGetName", PTR, INT, INT);
        cuDeviceGetAttribute = n.status("cuDeviceGetAttribute", PTR, INT, INT);
        cuDevicePrimaryCtxRetain = n.status("cuDevicePrimaryCtxRetain", PTR, INT);
        cuCtxSetCurrent = n.status("cuCtxSetCurrent", PTR);
        cuCtxSynchronize = n.status("cuCtxSynchronize");
        cuStreamCreate = n.status("cuStreamCreate", PTR, INT);
        cuStreamSynchronize = n.status("cuStreamSynchronize", PTR);
        cuMemAlloc = n.status("cuMemAlloc_v2", PTR, LONG);
        cuMemFree = n.status("cuMemFree_v2", LONG);
        cuMemGetInfo = n.status("cuMemGetInfo_v2", PTR, PTR);
        cuMemHostAlloc = n.status("cuMemHostAlloc", PTR, LONG, INT);
        cuMemcpyHtoDAsync = n.status("cuMemcpyHtoDAsync_v2", LONG, PTR, LONG, PTR);
        cuMemcpyDtoHAsync = n.status("cuMemcpyDtoHAsync_v2", PTR, LONG, LONG, PTR);
        cuMemcpyDtoDAsync = n.status("cuMemcpyDtoDAsync_v2", LONG, LONG, LONG, PTR);
        cuMemsetD8Async = n.status("cuMemsetD8Async", LONG, java.lang.foreign.ValueLayout.JAVA_BYTE, LONG, PTR);
        cuModuleLoadDataEx = n.status("cuModuleLoadDataEx", PTR, PTR, INT, PTR, PTR);
        cuModuleGetFunction = n.status("cuModuleGetFunction", PTR, PTR, PTR);
        cuLaunchKernel = n.status("cuLaunchKernel", PTR, INT, INT, INT, INT, INT, INT, INT, PTR, PTR, PTR);
        cuGetErrorName = n.status("cuGetErrorName", INT, PTR);
    }

    /**
     * libcuda.so.1 as the dynamic loader finds it, else from the folders drivers are installed in but that are not
     * always on the loader's path (containers mount the driver under /usr/local/nvidia).
     */
    private static SymbolLookup driverLibrary() {
        try {
            return SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        } catch (IllegalArgumentException notOnThePath) {
            for (String dir : new String[] {"/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64",
                    "/usr/lib/wsl/lib"}) {
                java.nio.file.Path lib = java.nio.file.Path.of(dir, "libcuda.so.1");
                if (java.nio.file.Files.isRegularFile(lib)) {
                    return SymbolLookup.libraryLookup(lib, Arena.global());
                }
            }
            throw notOnThePath;
        }
    }

    /** The driver's name for a CUresult, e.g. CUDA_ERROR_LAUNCH_FAILED. */
    String errorName(int code) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            int rc = (int) cuGetErrorName.invokeExact(code, out);
            if (rc != CUDA_SUCCESS) {
                return "CUresult " + code;
            }
            return out.get(PTR, 0).reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "CUresult " + code;
        }
    }

    void check(int rc, String call, String op) {
        if (rc != CUDA_SUCCESS) {
            throw new CudaException(errorName(rc) + " (" + rc + ") from " + call + (op == null ? "" : " in " + op), rc);
        }
    }

    /** cuInit's raw result (the probe reports it instead of throwing). */
    int init() {
        try {
            return (int) cuInit.invokeExact(0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    int driverVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(INT);
            check((int) cuDriverGetVersion.invokeExact(v), "cuDriverGetVersion", null);
            return v.get(INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    int deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(INT);
            check((int) cuDeviceGetCount.invokeExact(v), "cuDeviceGetCount", null);
            return v.get(INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    int device(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(INT);
            check((int) cuDeviceGet.invokeExact(v, ordinal), "cuDeviceGet", null);
            return v.get(INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(256);
            check((int) cuDeviceGetName.invokeExact(v, 256, device), "cuDeviceGetName", null);
            return v.getString(0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    int attribute(int attribute, int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(INT);
            check((int) cuDeviceGetAttribute.invokeExact(v, attribute, device), "cuDeviceGetAttribute", null);
            return v.get(INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    MemorySegment primaryContext(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(PTR);
            check((int) cuDevicePrimaryCtxRetain.invokeExact(v, device), "cuDevicePrimaryCtxRetain", null);
            return v.get(PTR, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void setCurrent(MemorySegment context) {
        try {
            check((int) cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent", null);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void contextSynchronize(String op) {
        try {
            check((int) cuCtxSynchronize.invokeExact(), "cuCtxSynchronize", op);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    MemorySegment createStream() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(PTR);
            check((int) cuStreamCreate.invokeExact(v, 0), "cuStreamCreate", null);
            return v.get(PTR, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void streamSynchronize(MemorySegment stream, String op) {
        try {
            check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize", op);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** A device allocation, or 0 when the device is out of memory (the allocator then frees its cache and retries). */
    long memAlloc(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(LONG);
            int rc = (int) cuMemAlloc.invokeExact(v, bytes);
            if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
                return 0;
            }
            check(rc, "cuMemAlloc(" + bytes + " bytes)", null);
            return v.get(LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void memFree(long ptr) {
        try {
            check((int) cuMemFree.invokeExact(ptr), "cuMemFree", null);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {free, total} bytes of device memory. */
    long[] memInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(LONG);
            MemorySegment total = arena.allocate(LONG);
            check((int) cuMemGetInfo.invokeExact(free, total), "cuMemGetInfo", null);
            return new long[] {free.get(LONG, 0), total.get(LONG, 0)};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Page-locked host memory, so that copies run at full bus speed and asynchronously. Never freed (one buffer). */
    MemorySegment pinnedHost(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(PTR);
            check((int) cuMemHostAlloc.invokeExact(v, bytes, 0), "cuMemHostAlloc(" + bytes + " bytes)", null);
            return v.get(PTR, 0).reinterpret(bytes);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void copyHostToDevice(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync", "upload");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void copyDeviceToHost(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync", "download");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void copyDeviceToDevice(long dst, long src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync", "copy");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void memsetZero(long dst, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemsetD8Async.invokeExact(dst, (byte) 0, bytes, stream), "cuMemsetD8Async", "fill");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Loads a PTX (or cubin) image; returns the module, or throws with the JIT compiler's own log, which says which
     * line of the PTX it could not take.
     */
    MemorySegment loadModule(MemorySegment image) {
        try (Arena arena = Arena.ofConfined()) {
            int logSize = 16384;
            MemorySegment log = arena.allocate(logSize);
            MemorySegment options = arena.allocate(INT, 2);
            options.setAtIndex(INT, 0, JIT_ERROR_LOG_BUFFER);
            options.setAtIndex(INT, 1, JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
            MemorySegment values = arena.allocate(PTR, 2);
            values.setAtIndex(PTR, 0, log);
            values.setAtIndex(PTR, 1, MemorySegment.ofAddress(logSize));
            MemorySegment module = arena.allocate(PTR);
            int rc = (int) cuModuleLoadDataEx.invokeExact(module, image, 2, options, values);
            if (rc != CUDA_SUCCESS) {
                String jit = log.getString(0).strip();
                throw new CudaException(errorName(rc) + " (" + rc + ") from cuModuleLoadDataEx loading t4j's kernels"
                        + (jit.isEmpty() ? "" : ": " + jit), rc);
            }
            return module.get(PTR, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    MemorySegment function(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(PTR);
            check((int) cuModuleGetFunction.invokeExact(v, module, arena.allocateFrom(name)),
                    "cuModuleGetFunction(" + name + ")", null);
            return v.get(PTR, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    void launch(MemorySegment function, int gridX, int blockX, int sharedBytes, MemorySegment stream,
            MemorySegment params, String op) {
        try {
            int rc = (int) cuLaunchKernel.invokeExact(function, gridX, 1, 1, blockX, 1, 1, sharedBytes, stream, params,
                    MemorySegment.NULL);
            check(rc, "cuLaunchKernel", op);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

}
