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

    /**
     * One published job: the body, the split, the next chunk nobody has claimed, and a count of chunks still running.
     * Chunks are claimed, not assigned: a chunk's range is fixed by its index, whichever thread runs it, so results do
     * not depend on who does; and a worker the OS has not scheduled yet (parked, or preempted by a JIT or GC thread on
     * a machine with as many cores as workers) no longer holds the caller up for a scheduler tick: the caller claims
     * the chunk itself. Timed call by call in GPT training steps on two threads, 6 of 45 layer norms (120
     * microseconds each) had taken 0.6-5 ms before, none above 0.6 ms after; whole steps were no faster within the
     * noise (8,030-8,379 vs 8,220-8,405 tokens/s).
     */
    private static final class Job {
        final Range body;
        final int n;
        final int chunks;
        final int gen;
        final AtomicInteger next = new AtomicInteger(1); // chunk 0 is the caller's
        final AtomicInteger pending;
        volatile Throwable failure;

        Job(Range body, int n, int chunks, int gen) {
            this.gen = gen;
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.pending = new AtomicInteger(chunks);
        }

        /** Runs chunks nobody has claimed until none is left. */
        void runClaimed() {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                runChunk(c);
            }
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
        private volatile boolean parked;

        Worker(int index) {
            super("t4j-cpu-" + index);
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
                // each job is looked at once per worker; its chunks go to whoever claims them first
                if (j != null && j.gen - lastRun > 0) {
                    lastRun = j.gen;
                    j.runClaimed();
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
            j.runClaimed();
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
