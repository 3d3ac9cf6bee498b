package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.backend.Backends;
import org.junit.jupiter.api.Test;

class CpuBackendSelectionTest {
    @Test
    void theCpuBackendOutranksTheReferenceOnTheClasspath() {
        var found = Backends.discover();
        assertThat(found).extracting(f -> f.provider().name()).containsSubsequence("cpu", "reference");
        assertThat(found.getFirst().availability().available()).isTrue();
        assertThat(found.getFirst().availability().reason()).contains("-bit vectors");
        assertThat(Backends.choose(found, null).name()).isEqualTo("cpu");
        assertThat(Backends.choose(found, "reference").name()).isEqualTo("reference");
    }
}
