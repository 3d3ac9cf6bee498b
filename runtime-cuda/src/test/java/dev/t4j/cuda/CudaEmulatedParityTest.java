package dev.t4j.cuda;

import dev.t4j.backend.Backend;
import dev.t4j.testkit.BackendParitySuite;
import org.junit.jupiter.api.BeforeAll;

/**
 * The op parity suite on the CUDA backend with its kernels emulated on the CPU ({@link EmulatedDevice}): the Java
 * side, the argument packing and the kernels' own code are checked against the reference backend without a GPU.
 * The same suite runs on a real GPU as {@link CudaParityTest}.
 */
class CudaEmulatedParityTest extends BackendParitySuite {
    private static Backend backend;

    @BeforeAll
    static void buildEmulator() throws Exception {
        backend = EmulatedDevice.backendOrSkip();
    }

    @Override
    protected Backend backend() {
        return backend;
    }
}
