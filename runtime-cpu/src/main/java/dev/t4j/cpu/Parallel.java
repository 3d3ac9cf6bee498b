package dev.t4j.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's worker pool: sized to the machine unless {@code -Dt4j.threads} / {@code T4J_NUM_THREADS}
 * says otherwise. A job is split into at most one contiguous range per thread, so results do not depend on
 * scheduling: a fixed thread count gives bit-identical results.
 *
 * <p>Workers spin for a short while before parking, as OpenMP's active wait does: a training step issues
 * hundreds of kernels of 10-500 microseconds each, and waking a parked thread for every one of them (what a
 * ForkJoinPool does) cost a visible share of those microseconds. After {@link #SPIN_NANOS} without work a worker
 * parks, so an idle process uses no CPU.
 */
public final class Parallel {
    static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Worker[] workers;
    private final Object submitLock = new Object();
    private volatile Job job;
    private final AtomicInteger generation = new AtomicInteger();

    /** One published job: the body, the split, and a count of chunks still running. */
    private static final class Job {
        final Range body;
        final int n;
        final int chunks;
        final int gen;
        final AtomicInteger pending;
        volatile Throwable failure;

        Job(Range body, int n, int chunks, int gen) {
            this.gen = gen;
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.pending = new AtomicInteger(chunks);
        }

        void runChunk(int c) {
            try {
                int start = (int) ((long) n * c / chunks);
                int end = (int) ((long) n * (c + 1) / chunks);
                if (end > start) {
                    body.run(start, end);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    private final class Worker extends Thread {
        private final int index; // runs chunk index + 1 of each job
        private volatile boolean parked;

        Worker(int index) {
            super("t4j-cpu-" + index);
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            int seen = generation.get();
            int lastRun = seen;
            while (true) {
                long idleSince = System.nanoTime();
                while (generation.get() == seen) {
                    if (System.nanoTime() - idleSince > SPIN_NANOS) {
                        parked = true;
                        if (generation.get() == seen) {
                            LockSupport.park(this);
                        }
                        parked = false;
                    } else {
                        Thread.onSpinWait();
                    }
                }
                seen = generation.get();
                Job j = job;
                // a job is run at most once per worker, and only if it was split for this worker
                if (j != null && j.gen - lastRun > 0) {
                    lastRun = j.gen;
                    if (index + 1 < j.chunks) {
                        j.runChunk(index + 1);
                    }
                }
            }
        }
    }

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
    }

    /** The thread count from property, environment, or the number of cores. */
    public static int configuredThreads() {
        String v = System.getProperty("t4j.threads");
        String source = "-Dt4j.threads";
        if (v == null || v.isBlank()) {
            v = System.getenv("T4J_NUM_THREADS");
            source = "T4J_NUM_THREADS";
        }
        if (v == null || v.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + "=" + v + " is not a positive thread count");
        }
    }

    public int threads() {
        return threads;
    }

    /** A body that handles the index range [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@code threads} contiguous chunks, none smaller than
     * {@code grain} (small jobs stay on the calling thread). The calling thread runs the first chunk. Calls from
     * inside a job, or from two threads at once, run serially rather than wait on each other.
     */
    public void forRange(int n, int grain, Range body) {
        int chunks = (int) Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || workers.length == 0 || Thread.currentThread() instanceof Worker) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        synchronized (submitLock) {
            Job j = new Job(body, n, chunks, generation.get() + 1);
            job = j;
            generation.incrementAndGet();
            for (int i = 0; i < chunks - 1; i++) {
                if (workers[i].parked) {
                    LockSupport.unpark(workers[i]);
                }
            }
            j.runChunk(0);
            while (j.pending.get() > 0) {
                Thread.onSpinWait();
            }
            job = null;
            if (j.failure != null) {
                if (j.failure instanceof RuntimeException r) {
                    throw r;
                }
                if (j.failure instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException(j.failure);
            }
        }
    }
}
