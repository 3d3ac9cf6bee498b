package dev.t4j.cpu;

import dev.t4j.backend.Availability;
import dev.t4j.backend.Backend;
import dev.t4j.backend.BackendProvider;

/** Registers the CPU backend; available wherever the Vector API module is resolved. */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability availability() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Availability.no("the JVM was started without --add-modules jdk.incubator.vector");
        }
        try {
            int bits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
            return Availability.yes(bits + "-bit vectors, " + Parallel.configuredThreads() + " threads");
        } catch (LinkageError e) {
            return Availability.no("Vector API unusable: " + e);
        }
    }

    @Override
    public Backend create() {
        return new CpuBackend();
    }
}
