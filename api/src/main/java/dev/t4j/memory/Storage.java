package dev.t4j.memory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A block of memory holding tensor elements, owned by exactly one {@link Scope}. Views share a storage; the
 * storage is freed when its scope closes (or when moved out with {@link Scope#keep}). Touching a freed
 * storage is an {@link IllegalStateException} naming the scope that released it, never a JVM crash.
 */
public abstract class Storage {
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_COUNT = new AtomicLong();

    private final long bytes;
    private Scope owner;
    private String releasedBy;

    protected Storage(long bytes) {
        this.bytes = bytes;
        LIVE_BYTES.addAndGet(bytes);
        LIVE_COUNT.incrementAndGet();
        Scope.current().adopt(this);
    }

    public final long bytes() {
        return bytes;
    }

    public final Scope owner() {
        return owner;
    }

    final void setOwner(Scope scope) {
        this.owner = scope;
    }

    public final boolean isReleased() {
        return releasedBy != null;
    }

    /** Throws if this storage was freed. Backends call it before touching memory. */
    public final void checkLive() {
        if (releasedBy != null) {
            throw new IllegalStateException("tensor used after its memory was released (scope '" + releasedBy
                    + "' closed). Keep tensors that must outlive a scope with scope.keep(tensor), "
                    + "or create them in a longer-lived scope.");
        }
    }

    final void release(String scopeName) {
        if (releasedBy == null) {
            releasedBy = scopeName;
            LIVE_BYTES.addAndGet(-bytes);
            LIVE_COUNT.decrementAndGet();
            free();
        }
    }

    /** Returns the memory to the backend. Called exactly once. */
    protected abstract void free();

    /** Bytes held by all storages not yet released, on every device. */
    public static long liveBytes() {
        return LIVE_BYTES.get();
    }

    public static long liveCount() {
        return LIVE_COUNT.get();
    }
}
