package dev.t4j.cuda;

import dev.t4j.tensor.DType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A GPU emulated on the CPU: device memory is host memory, kernels are t4j's CUDA sources compiled as C++ with
 * src/test/emulator (real threads per block), products are column-major GEMMs in Java with cuBLAS's semantics. The
 * CUDA backend's Java side and its kernels' code then run end to end, and the op parity suite checks their numbers,
 * on a machine without a GPU.
 */
final class EmulatedDevice extends HostMemoryDevice {
    private final MethodHandle launch;

    @Override
    public String describe() {
        return "cuda:0 (emulated on the CPU)";
    }

    /**
     * A CUDA backend over this emulator, or an aborted test (JUnit's assumption, reason printed) where the PTX was not
     * built or there is no g++.
     */
    static CudaBackend backendOrSkip() throws IOException, InterruptedException {
        String ptx = Kernels.shippedPtx();
        Assumptions.assumeTrue(ptx != null, "kernels.ptx was not built (no nvcc when this module was built)");
        String[] why = new String[1];
        EmulatedDevice device = build(why);
        if (device == null) {
            System.err.println("[t4j] emulated CUDA tests skipped: " + why[0]);
        }
        Assumptions.assumeTrue(device != null, () -> why[0]);
        return new CudaBackend(device, 0, Kernels.signatures(ptx));
    }

    private EmulatedDevice(Path library) {
        SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
        launch = Linker.nativeLinker().downcallHandle(lib.find("emu_launch").orElseThrow(), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS));
    }

    private static EmulatedDevice built; // one library per test JVM: reloading a rebuilt .so while mapped is unsafe

    /**
     * Builds the emulator library with g++ into {@code target/emulator} (once per test JVM), or returns null with the
     * reason in {@code why[0]} when there is no g++.
     */
    static synchronized EmulatedDevice build(String[] why) throws IOException, InterruptedException {
        if (built != null) {
            return built;
        }
        Path module = Files.isDirectory(Path.of("src/test/emulator")) ? Path.of(".") : Path.of("runtime-cuda");
        Path out = module.resolve("target/emulator/libt4jemu.so");
        Files.createDirectories(out.getParent());
        Process p;
        try {
            p = new ProcessBuilder("g++", "-std=c++20", "-O1", "-fPIC", "-shared", "-pthread",
                    "-I", module.resolve("src/test/emulator").toString(), "-I", module.resolve("src/main/cuda").toString(),
                    "-o", out.toString(), module.resolve("src/test/emulator/emu.cpp").toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            why[0] = "g++ could not be run (it builds the kernel emulator): " + e.getMessage();
            return null;
        }
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("g++ failed to build the kernel emulator:\n" + log);
        }
        built = new EmulatedDevice(out.toAbsolutePath());
        return built;
    }

    @Override
    public void launch(Kernel k, int grid, int block, MemorySegment params, String op) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) launch.invokeExact(a.allocateFrom(k.symbol()), grid, block, params);
            if (rc != 0) {
                throw new IllegalStateException("the emulator has no kernel " + k.symbol());
            }
            checkGuards("kernel " + k.symbol() + " (op " + op + ", grid " + grid + " x " + block + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    @Override
    public Blas blas() {
        return new Blas() {
            @Override
            public void sgemm(GemmPlan p, long x, long y, long c) {
                gemm(p, x, y, c, DType.F32, DType.F32);
            }

            @Override
            public void dgemm(GemmPlan p, long x, long y, long c) {
                gemm(p, x, y, c, DType.F64, DType.F64);
            }

            @Override
            public void gemmBf16(GemmPlan p, long x, long y, long c, boolean bf16Out) {
                gemm(p, x, y, c, DType.BF16, bf16Out ? DType.BF16 : DType.F32);
            }
        };
    }

    private static double read(long base, long i, DType t) {
        MemorySegment s = at(base + i * t.byteSize(), t.byteSize());
        return switch (t) {
            case F32 -> s.get(ValueLayout.JAVA_FLOAT, 0);
            case F64 -> s.get(ValueLayout.JAVA_DOUBLE, 0);
            case BF16 -> DType.bf16ToFloat(s.get(ValueLayout.JAVA_SHORT, 0));
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    private static void write(long base, long i, DType t, double v) {
        MemorySegment s = at(base + i * t.byteSize(), t.byteSize());
        switch (t) {
            case F32 -> s.set(ValueLayout.JAVA_FLOAT, 0, (float) v);
            case F64 -> s.set(ValueLayout.JAVA_DOUBLE, 0, v);
            case BF16 -> s.set(ValueLayout.JAVA_SHORT, 0, DType.floatToBf16((float) v));
            default -> throw new IllegalArgumentException(t.toString());
        }
    }

    /** cublas<T>gemmStridedBatched on host memory, computed by {@link ColumnMajorGemm}. */
    private void gemm(GemmPlan p, long x, long y, long c, DType in, DType out) {
        ColumnMajorGemm.run(p, i -> read(x, i, in), i -> read(y, i, in), (i, v) -> write(c, i, out, v));
        checkGuards("a product " + p);
    }
}
