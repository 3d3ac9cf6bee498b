package dev.t4j.cuda;

import dev.t4j.backend.Availability;
import dev.t4j.backend.Backend;
import dev.t4j.backend.BackendProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The CUDA backend's registration. Its availability check probes, through FFM and without linking anything at
 * build time, for the driver ({@code libcuda.so.1}, {@code cuInit}, a device) and for cuBLAS, and reports the
 * first thing missing. The kernels themselves are not written yet, so even on a GPU machine this backend says
 * it is unavailable and why: the CPU backend is chosen and nothing pretends to run on the GPU.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public Availability availability() {
        Optional<String> missing = probe();
        return Availability.no(missing.orElse("a CUDA device, driver and cuBLAS are present, but t4j's CUDA kernels "
                + "are not built in this version; the cpu backend runs instead"));
    }

    /** The first missing piece, or empty when driver, device and cuBLAS are all there. */
    Optional<String> probe() {
        CudaLibraries libs = new CudaLibraries(System.getenv());
        SymbolLookup driver;
        try {
            driver = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            return Optional.of("no NVIDIA driver: libcuda.so.1 cannot be loaded (no GPU driver on this machine)");
        }
        Linker linker = Linker.nativeLinker();
        try {
            MethodHandle cuInit = linker.downcallHandle(driver.find("cuInit").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int rc = (int) cuInit.invokeExact(0);
            if (rc != 0) {
                return Optional.of("cuInit failed with CUDA error " + rc + " (100 = no device, 35 = driver older than "
                        + "the runtime)");
            }
            MethodHandle count = linker.downcallHandle(driver.find("cuDeviceGetCount").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment n = arena.allocate(ValueLayout.JAVA_INT);
                rc = (int) count.invokeExact(n);
                if (rc != 0 || n.get(ValueLayout.JAVA_INT, 0) == 0) {
                    return Optional.of("the NVIDIA driver reports no CUDA device (cuDeviceGetCount rc=" + rc + ")");
                }
            }
        } catch (Throwable t) {
            return Optional.of("the NVIDIA driver could not be queried: " + t);
        }
        if (libs.find("libcublas.so").isEmpty()) {
            return Optional.of("cuBLAS (libcublas.so) not found; looked in " + libs.searchPath()
                    + "; set CUDA_HOME or LD_LIBRARY_PATH");
        }
        return Optional.empty();
    }

    @Override
    public Backend create() {
        throw new IllegalStateException("the cuda backend is not available: " + availability().reason());
    }
}
