package dev.t4j.cpu;

import dev.t4j.backend.Backend;
import dev.t4j.testkit.BackendParitySuite;

/** The op parity suite on the CPU backend with two threads (exercises the parallel splits). */
class CpuParityTest extends BackendParitySuite {
    private static final Backend CPU = new CpuBackend(2);

    @Override
    protected Backend backend() {
        return CPU;
    }
}
