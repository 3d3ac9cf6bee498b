package dev.t4j.cuda;

import dev.t4j.backend.Availability;
import dev.t4j.backend.Backend;
import dev.t4j.backend.BackendProvider;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The CUDA backend's registration. Its availability check probes, through FFM and without linking anything at
 * build time, in this order: t4j's kernels in the jar (built by nvcc), the NVIDIA driver, a device, its compute
 * capability (7.5 or newer, the PTX target), and cuBLAS; it reports the first thing missing. Only then is the
 * backend created, so the same jars start on machines without CUDA and pick the CPU backend.
 *
 * <p>Options: {@code -Dt4j.cuda.device=N} (default 0), {@code -Dt4j.cuda.tf32=true} or {@code T4J_CUDA_TF32=1} for
 * TF32 tensor-core float32 products (off by default, as in PyTorch), {@code -Dt4j.cuda.sync=true} to synchronise after
 * every op when hunting an error, {@code -Dt4j.cuda.profile=true} for a table of time per op at exit.
 */
public final class CudaBackendProvider implements BackendProvider {
    static final int MIN_CC_MAJOR = 7;
    static final int MIN_CC_MINOR = 5;

    private Driver driver;
    private String ptx;
    private Path cublas;
    private String detail;
    private Availability availability; // probed once: discovery asks, then create() asks again

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public synchronized Availability availability() {
        if (availability == null) {
            availability = probe().map(Availability::no).orElseGet(() -> Availability.yes(detail));
        }
        return availability;
    }

    /** The first missing piece, or empty when kernels, driver, device and cuBLAS are all there. */
    private Optional<String> probe() {
        ptx = Kernels.shippedPtx();
        if (ptx == null) {
            return Optional.of("this t4j-runtime-cuda jar was built without nvcc, so it has no kernels ("
                    + Kernels.RESOURCE + " missing); rebuild with the CUDA toolkit's nvcc on the PATH");
        }
        try {
            driver = new Driver();
        } catch (IllegalArgumentException e) {
            return Optional.of("no NVIDIA driver: libcuda.so.1 cannot be loaded (no GPU driver on this machine)");
        } catch (UnsatisfiedLinkError e) {
            return Optional.of("the NVIDIA driver is too old: " + e.getMessage());
        }
        int ordinal = Integer.getInteger("t4j.cuda.device", 0);
        try {
            int rc = driver.init();
            if (rc != Driver.CUDA_SUCCESS) {
                return Optional.of("cuInit failed: " + driver.errorName(rc) + " (" + rc + ")"
                        + (rc == Driver.CUDA_ERROR_NO_DEVICE ? ": no CUDA device is visible" : ""));
            }
            int count = driver.deviceCount();
            if (count <= ordinal) {
                return Optional.of(count == 0 ? "the NVIDIA driver reports no CUDA device"
                        : "cuda:" + ordinal + " requested (-Dt4j.cuda.device) but the driver reports " + count
                        + " device(s)");
            }
            int dev = driver.device(ordinal);
            int major = driver.attribute(Driver.ATTRIBUTE_CC_MAJOR, dev);
            int minor = driver.attribute(Driver.ATTRIBUTE_CC_MINOR, dev);
            String name = driver.deviceName(dev);
            if (major < MIN_CC_MAJOR || major == MIN_CC_MAJOR && minor < MIN_CC_MINOR) {
                return Optional.of(name + " has compute capability " + major + "." + minor + "; t4j's kernels need "
                        + MIN_CC_MAJOR + "." + MIN_CC_MINOR + " or newer");
            }
            CudaLibraries libs = new CudaLibraries(System.getenv());
            Optional<Path> lib = libs.find("libcublas.so");
            if (lib.isEmpty()) {
                return Optional.of("cuBLAS (libcublas.so) not found; looked in " + libs.searchPath()
                        + "; set CUDA_HOME or LD_LIBRARY_PATH");
            }
            cublas = lib.get();
            detail = "cuda:" + ordinal + " " + name + ", compute capability " + major + "." + minor + ", driver "
                    + driver.driverVersion() + ", " + cublas;
            return Optional.empty();
        } catch (CudaException e) {
            return Optional.of("the NVIDIA driver could not be queried: " + e.getMessage());
        }
    }

    @Override
    public synchronized Backend create() {
        Availability a = availability();
        if (!a.available()) {
            throw new IllegalStateException("the cuda backend is not available: " + a.reason());
        }
        boolean tf32 = Boolean.getBoolean("t4j.cuda.tf32") || "1".equals(System.getenv("T4J_CUDA_TF32"));
        int ordinal = Integer.getInteger("t4j.cuda.device", 0);
        return new CudaBackend(new DriverDevice(driver, ordinal, ptx, cublas, tf32), ordinal, Kernels.signatures(ptx),
                Boolean.getBoolean("t4j.cuda.sync"), Boolean.getBoolean("t4j.cuda.profile") ? new OpProfile(true) : null);
    }
}
