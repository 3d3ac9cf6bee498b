package dev.t4j.cuda;

import dev.t4j.backend.Availability;
import dev.t4j.backend.Backend;
import dev.t4j.testkit.BackendParitySuite;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The op parity suite on the GPU: every op against the reference backend. Needs a CUDA device; without one every
 * test is reported skipped, with the reason the backend gave (no driver, no device, no cuBLAS...).
 */
class CudaParityTest extends BackendParitySuite {
    private static Backend backend;

    @BeforeAll
    static void needsAGpu() {
        CudaBackendProvider provider = new CudaBackendProvider();
        Availability a = provider.availability();
        if (!a.available()) {
            System.err.println("[t4j] CUDA parity tests skipped: " + a.reason());
        }
        Assumptions.assumeTrue(a.available(), () -> "no usable CUDA device: " + a.reason());
        backend = provider.create();
    }

    @Override
    protected Backend backend() {
        return backend;
    }
}
