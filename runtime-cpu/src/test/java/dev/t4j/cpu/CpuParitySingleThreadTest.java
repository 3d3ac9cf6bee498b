package dev.t4j.cpu;

import dev.t4j.backend.Backend;
import dev.t4j.testkit.BackendParitySuite;

/** The op parity suite on the CPU backend with one thread (the serial paths). */
class CpuParitySingleThreadTest extends BackendParitySuite {
    private static final Backend CPU = new CpuBackend(1);

    @Override
    protected Backend backend() {
        return CPU;
    }
}
