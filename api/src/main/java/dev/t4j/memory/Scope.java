package dev.t4j.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * A region whose tensors are freed together when it closes: one per training step, one per request, one
 * long-lived for parameters and optimizer state. Scopes nest per thread; every storage allocated while a scope
 * is current belongs to it.
 *
 * <pre>{@code
 * try (Scope step = Scope.open("step")) {
 *     Tensor loss = model.loss(batch);
 *     loss.backward();
 *     optimizer.step();          // parameters and their grads live in the outer scope: untouched
 * }                              // every activation of the step is freed here, not by the GC
 * }</pre>
 *
 * Tensors created with no scope open belong to the root scope, which is never closed: fine for scripts and
 * tests, not for loops.
 */
public final class Scope implements AutoCloseable {
    private static final Scope ROOT = new Scope("root", null, null);
    private static final ThreadLocal<Scope> CURRENT = ThreadLocal.withInitial(() -> ROOT);

    private final String name;
    private final Scope parent;
    private final Thread thread;
    private List<Storage> owned = new ArrayList<>();
    private boolean closed;

    private Scope(String name, Scope parent, Thread thread) {
        this.name = name;
        this.parent = parent;
        this.thread = thread;
    }

    /** Opens a scope nested in the current one and makes it current until closed. */
    public static Scope open(String name) {
        Scope scope = new Scope(name, CURRENT.get(), Thread.currentThread());
        CURRENT.set(scope);
        return scope;
    }

    public static Scope current() {
        return CURRENT.get();
    }

    public static Scope root() {
        return ROOT;
    }

    public String name() {
        return name;
    }

    /**
     * Runs {@code body} with {@code scope} current, so what it allocates belongs there (gradients of parameters
     * are allocated in the parameters' scope this way).
     */
    public static <T> T within(Scope scope, java.util.function.Supplier<T> body) {
        Scope previous = CURRENT.get();
        CURRENT.set(scope);
        try {
            return body.get();
        } finally {
            CURRENT.set(previous);
        }
    }

    synchronized void adopt(Storage storage) {
        if (closed) {
            throw new IllegalStateException("allocation in scope '" + name + "' after it was closed");
        }
        storage.setOwner(this);
        owned.add(storage);
    }

    /** Moves what {@code value} holds to the parent scope so it outlives this one; returns it for chaining. */
    public <T extends Owned> T keep(T value) {
        keep(value.storage());
        return value;
    }

    /** Moves a storage to the parent scope so it outlives this one; returns it for chaining. */
    public synchronized Storage keep(Storage storage) {
        if (storage.owner() != this) {
            return storage; // owned further out already
        }
        if (parent == null) {
            throw new IllegalStateException("the root scope has no parent to keep into");
        }
        owned.remove(storage);
        parent.adopt(storage);
        return storage;
    }

    /** Bytes held by live storages of this scope (not of nested ones). */
    public synchronized long bytes() {
        long sum = 0;
        for (Storage s : owned) {
            if (!s.isReleased()) {
                sum += s.bytes();
            }
        }
        return sum;
    }

    @Override
    public void close() {
        if (this == ROOT) {
            throw new IllegalStateException("the root scope cannot be closed");
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("scope '" + name + "' must be closed on the thread that opened it");
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("scope '" + name + "' closed out of order: '" + CURRENT.get().name
                    + "' opened inside it is still open");
        }
        List<Storage> toFree;
        synchronized (this) {
            closed = true;
            toFree = owned;
            owned = List.of();
        }
        for (Storage s : toFree) {
            s.release(name);
        }
        CURRENT.set(parent);
    }
}
