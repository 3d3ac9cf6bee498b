package dev.t4j.backend;

/**
 * The service a runtime module registers in {@code META-INF/services/dev.t4j.backend.BackendProvider}. Creating
 * a provider must be cheap and must not touch native libraries; {@link #availability()} does the probing, and
 * {@link #create()} is called only when it said yes.
 */
public interface BackendProvider {
    /** Short name users pass to {@code -Dt4j.backend} / {@code T4J_BACKEND}, e.g. {@code cpu}, {@code cuda}. */
    String name();

    /** Higher wins among the available ones. */
    int priority();

    Availability availability();

    Backend create();
}
