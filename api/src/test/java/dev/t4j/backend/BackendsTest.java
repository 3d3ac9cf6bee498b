package dev.t4j.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BackendsTest {
    private static BackendProvider provider(String name, int priority, Availability a) {
        return new BackendProvider() {
            public String name() {
                return name;
            }

            public int priority() {
                return priority;
            }

            public Availability availability() {
                return a;
            }

            public Backend create() {
                throw new AssertionError("not needed");
            }
        };
    }

    private final List<Backends.Found> found = List.of(
            new Backends.Found(provider("cuda", 200, Availability.no("libcudart.so not found")),
                    Availability.no("libcudart.so not found")),
            new Backends.Found(provider("cpu", 100, Availability.yes("ok")), Availability.yes("ok")),
            new Backends.Found(provider("reference", 0, Availability.yes("ok")), Availability.yes("ok")));

    @Test
    void bestAvailableWinsAndUnavailableOnesAreSkipped() {
        assertThat(Backends.choose(found, null).name()).isEqualTo("cpu");
    }

    @Test
    void aRequestedBackendIsUsedOrRefusedWithTheReason() {
        assertThat(Backends.choose(found, "reference").name()).isEqualTo("reference");
        assertThatThrownBy(() -> Backends.choose(found, "cuda")).hasMessageContaining("libcudart.so not found");
        assertThatThrownBy(() -> Backends.choose(found, "tpu")).hasMessageContaining("not on the classpath")
                .hasMessageContaining("cpu");
    }

    @Test
    void serviceLoaderFindsTheReferenceBackendInApi() {
        assertThat(Backends.discover()).extracting(f -> f.provider().name()).contains("reference");
    }
}
