package dev.t4j.cuda;

import dev.t4j.backend.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of tests that run model code with the emulated CUDA backend ({@link EmulatedDevice}) as the default. */
abstract class OnEmulatedCuda {
    @BeforeAll
    static void useTheEmulatedBackend() throws Exception {
        Backends.setDefault(EmulatedDevice.backendOrSkip());
    }

    @AfterAll
    static void restoreTheDefaultBackend() {
        Backends.setDefault(null);
    }
}
