package dev.t4j.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.logging.Logger;

/**
 * Finds backends with {@link ServiceLoader} and picks one: the one named by {@code -Dt4j.backend} or
 * {@code T4J_BACKEND} if set (an error if it is missing or unavailable), otherwise the available one with the
 * highest priority. Skipped backends are logged with their reason.
 */
public final class Backends {
    public static final String PROPERTY = "t4j.backend";
    public static final String ENV = "T4J_BACKEND";
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());
    private static volatile Backend defaultBackend;

    private Backends() {}

    /** One line per backend found on the classpath. */
    public record Found(BackendProvider provider, Availability availability) {}

    public static List<Found> discover() {
        List<Found> found = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            Availability a;
            try {
                a = p.availability();
            } catch (RuntimeException | LinkageError e) {
                a = Availability.no("availability check failed: " + e);
            }
            found.add(new Found(p, a));
        }
        found.sort(Comparator.comparingInt((Found f) -> f.provider().priority()).reversed());
        return found;
    }

    /** The name requested by property or environment, or null. */
    public static String requested() {
        String name = System.getProperty(PROPERTY);
        if (name == null || name.isBlank()) {
            name = System.getenv(ENV);
        }
        return name == null || name.isBlank() ? null : name.trim().toLowerCase(Locale.ROOT);
    }

    /** Chooses among {@code found} as described in the class comment. */
    public static BackendProvider choose(List<Found> found, String requested) {
        if (requested != null) {
            for (Found f : found) {
                if (f.provider().name().equalsIgnoreCase(requested)) {
                    if (!f.availability().available()) {
                        throw new IllegalStateException("backend '" + requested + "' was requested (-D" + PROPERTY
                                + " / " + ENV + ") but is not available: " + f.availability().reason());
                    }
                    return f.provider();
                }
            }
            throw new IllegalStateException("backend '" + requested + "' was requested (-D" + PROPERTY + " / " + ENV
                    + ") but is not on the classpath; found: " + names(found));
        }
        for (Found f : found) {
            if (f.availability().available()) {
                return f.provider();
            }
            LOG.fine(() -> "skipping backend " + f.provider().name() + ": " + f.availability().reason());
        }
        throw new IllegalStateException("no available backend; found: " + names(found));
    }

    private static String names(List<Found> found) {
        if (found.isEmpty()) {
            return "none (is a runtime module such as t4j-runtime-cpu on the classpath?)";
        }
        StringBuilder sb = new StringBuilder();
        for (Found f : found) {
            sb.append(sb.isEmpty() ? "" : ", ").append(f.provider().name())
                    .append(f.availability().available() ? "" : " (unavailable: " + f.availability().reason() + ")");
        }
        return sb.toString();
    }

    /** The process-wide default backend, chosen once on first use. */
    public static Backend defaultBackend() {
        Backend b = defaultBackend;
        if (b == null) {
            synchronized (Backends.class) {
                b = defaultBackend;
                if (b == null) {
                    b = choose(discover(), requested()).create();
                    defaultBackend = b;
                }
            }
        }
        return b;
    }

    private static final Backend REFERENCE = new dev.t4j.backend.reference.ReferenceBackend();

    /**
     * The backend for tensors over host memory t4j does not allocate (memory-mapped checkpoints): the default backend
     * when it computes on the CPU, else the reference backend. Such tensors are read where they lie, or copied to
     * a device with {@code copy_} / {@code to}.
     */
    public static Backend host() {
        Backend b = defaultBackend();
        return b.device().equals(dev.t4j.tensor.Device.CPU) ? b : REFERENCE;
    }

    /** Replaces the default backend (tests, or a Guice module that chose one). */
    public static synchronized void setDefault(Backend backend) {
        defaultBackend = backend;
    }
}
