package dev.t4j.autograd;

/**
 * Whether operations record a graph for {@code backward()}. Inference, evaluation and the backward pass itself
 * run with recording off, so nothing is kept alive for a graph that will never be used:
 *
 * <pre>{@code try (var g = GradMode.noGrad()) { logits = model.forward(ids); } }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off until the returned handle is closed, then restores what was there. */
    public static Restore noGrad() {
        return set(false);
    }

    /** Turns recording on until the returned handle is closed (inside a no-grad region). */
    public static Restore enableGrad() {
        return set(true);
    }

    private static Restore set(boolean on) {
        boolean[] cell = ENABLED.get();
        boolean previous = cell[0];
        cell[0] = on;
        return () -> cell[0] = previous;
    }

    /** Restores the previous mode; closing twice is harmless. */
    @FunctionalInterface
    public interface Restore extends AutoCloseable {
        @Override
        void close();
    }
}
