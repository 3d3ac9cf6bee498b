package dev.t4j.cuda;

import static dev.t4j.cuda.Native.INT;
import static dev.t4j.cuda.Native.LONG;
import static dev.t4j.cuda.Native.PTR;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * cuBLAS through FFM: one handle on t4j's stream, and the strided-batched GEMMs. cuBLAS is column-major; the
 * row-major mapping is {@link GemmPlan}'s job, not this class's.
 */
final class Cublas implements CudaDevice.Blas {
    static final int OP_N = 0;
    static final int OP_T = 1;
    private static final int DEFAULT_MATH = 0;
    private static final int TF32_TENSOR_OP_MATH = 3;
    private static final int CUDA_R_32F = 0;
    private static final int CUDA_R_16BF = 14;
    private static final int COMPUTE_32F = 68;
    private static final int GEMM_DEFAULT = -1;

    private final MethodHandle sgemm, dgemm, gemmEx, setMathMode, getStatusName;
    private final MemorySegment handle;
    private final MemorySegment oneF, zeroF, oneD, zeroD;
    private final Path library;

    Cublas(Path library, MemorySegment stream) {
        this.library = library;
        preloadLt(library);
        Native n = new Native(library.toString(), SymbolLookup.libraryLookup(library, Arena.global()));
        MethodHandle create = n.status("cublasCreate_v2", PTR);
        MethodHandle setStream = n.status("cublasSetStream_v2", PTR, PTR);
        setMathMode = n.status("cublasSetMathMode", PTR, INT);
        getStatusName = n.has("cublasGetStatusName") ? n.handle("cublasGetStatusName",
                java.lang.foreign.FunctionDescriptor.of(PTR, INT)) : null;
        sgemm = n.status("cublasSgemmStridedBatched", PTR, INT, INT, INT, INT, INT, PTR, PTR, INT, LONG, PTR, INT, LONG,
                PTR, PTR, INT, LONG, INT);
        dgemm = n.status("cublasDgemmStridedBatched", PTR, INT, INT, INT, INT, INT, PTR, PTR, INT, LONG, PTR, INT, LONG,
                PTR, PTR, INT, LONG, INT);
        gemmEx = n.status("cublasGemmStridedBatchedEx", PTR, INT, INT, INT, INT, INT, PTR, PTR, INT, INT, LONG, PTR,
                INT, INT, LONG, PTR, PTR, INT, INT, LONG, INT, INT, INT);
        Arena global = Arena.global();
        oneF = global.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        zeroF = global.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        oneD = global.allocateFrom(ValueLayout.JAVA_DOUBLE, 1d);
        zeroD = global.allocateFrom(ValueLayout.JAVA_DOUBLE, 0d);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = arena.allocate(PTR);
            check((int) create.invokeExact(h), "cublasCreate");
            handle = h.get(PTR, 0);
            check((int) setStream.invokeExact(handle, stream), "cublasSetStream");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * libcublas needs libcublasLt; where it lies beside it (the nvidia-cublas Python wheel) but not on the loader's
     * path, loading it first lets the loader find it by its soname.
     */
    private static void preloadLt(Path library) {
        Path dir = library.getParent();
        if (dir == null) {
            return;
        }
        try (var files = java.nio.file.Files.list(dir)) {
            files.filter(f -> f.getFileName().toString().startsWith("libcublasLt.so")).sorted().findFirst()
                    .ifPresent(lt -> SymbolLookup.libraryLookup(lt, Arena.global()));
        } catch (java.io.IOException | IllegalArgumentException e) {
            // cuBLAS itself will then say what it misses
        }
    }

    Path library() {
        return library;
    }

    /** TF32 tensor cores for float32 products (10-bit mantissa inputs), as torch.backends.cuda.matmul.allow_tf32. */
    void allowTf32(boolean allow) {
        try {
            check((int) setMathMode.invokeExact(handle, allow ? TF32_TENSOR_OP_MATH : DEFAULT_MATH), "cublasSetMathMode");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    @Override
    public void sgemm(GemmPlan p, long x, long y, long c) {
        try {
            check((int) sgemm.invokeExact(handle, p.opX(), p.opY(), p.m(), p.n(), p.k(), oneF, MemorySegment.ofAddress(x),
                    p.ldx(), p.strideX(), MemorySegment.ofAddress(y), p.ldy(), p.strideY(), zeroF,
                    MemorySegment.ofAddress(c), p.ldc(), p.strideC(), p.batch()), "cublasSgemmStridedBatched");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    @Override
    public void dgemm(GemmPlan p, long x, long y, long c) {
        try {
            check((int) dgemm.invokeExact(handle, p.opX(), p.opY(), p.m(), p.n(), p.k(), oneD, MemorySegment.ofAddress(x),
                    p.ldx(), p.strideX(), MemorySegment.ofAddress(y), p.ldy(), p.strideY(), zeroD,
                    MemorySegment.ofAddress(c), p.ldc(), p.strideC(), p.batch()), "cublasDgemmStridedBatched");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** bfloat16 operands on tensor cores, float32 accumulation, a float32 or bfloat16 output. */
    @Override
    public void gemmBf16(GemmPlan p, long x, long y, long c, boolean bf16Out) {
        try {
            check((int) gemmEx.invokeExact(handle, p.opX(), p.opY(), p.m(), p.n(), p.k(), oneF,
                    MemorySegment.ofAddress(x), CUDA_R_16BF, p.ldx(), p.strideX(), MemorySegment.ofAddress(y),
                    CUDA_R_16BF, p.ldy(), p.strideY(), zeroF, MemorySegment.ofAddress(c), bf16Out ? CUDA_R_16BF : CUDA_R_32F, p.ldc(),
                    p.strideC(), p.batch(), COMPUTE_32F, GEMM_DEFAULT), "cublasGemmStridedBatchedEx");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private void check(int status, String call) {
        if (status != 0) {
            String name = "CUBLAS_STATUS " + status;
            if (getStatusName != null) {
                try {
                    name = ((MemorySegment) getStatusName.invokeExact(status)).reinterpret(128).getString(0);
                } catch (Throwable t) {
                    // keep the number
                }
            }
            throw new CudaException(name + " (" + status + ") from " + call + " in matmul", status);
        }
    }

}
