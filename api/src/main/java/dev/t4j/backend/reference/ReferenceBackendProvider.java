package dev.t4j.backend.reference;

import dev.t4j.backend.Availability;
import dev.t4j.backend.Backend;
import dev.t4j.backend.BackendProvider;

/** Always available, lowest priority: t4j-api alone still computes, slowly. */
public final class ReferenceBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Availability availability() {
        return Availability.yes("scalar Java, every dtype; the correctness reference, not for speed");
    }

    @Override
    public Backend create() {
        return new ReferenceBackend();
    }
}
