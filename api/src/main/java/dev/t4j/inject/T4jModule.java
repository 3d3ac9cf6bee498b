package dev.t4j.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.t4j.backend.Backend;
import dev.t4j.backend.BackendProvider;
import dev.t4j.backend.Backends;
import java.util.List;

/**
 * Guice wiring: binds the {@link Backend} chosen by {@link Backends} (property, environment, then priority) and
 * the list of backends found. Everything it binds can also be built with plain constructors; Guice is optional.
 */
public final class T4jModule extends AbstractModule {
    private final String requestedBackend;

    /** Chooses the backend from {@code -Dt4j.backend} / {@code T4J_BACKEND}, else the best available. */
    public T4jModule() {
        this(Backends.requested());
    }

    /** Forces the named backend (null: the best available). */
    public T4jModule(String requestedBackend) {
        this.requestedBackend = requestedBackend;
    }

    @Provides
    @Singleton
    List<Backends.Found> foundBackends() {
        return Backends.discover();
    }

    @Provides
    @Singleton
    Backend backend(List<Backends.Found> found) {
        BackendProvider chosen = Backends.choose(found, requestedBackend);
        Backend backend = chosen.create();
        Backends.setDefault(backend);
        return backend;
    }
}
