package dev.t4j.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU backend's worker pool: sized to the machine unless {@code -Dt4j.threads} / {@code T4J_NUM_THREADS}
 * says otherwise. Work is split into at most one contiguous range per thread, so results do not depend on
 * scheduling: a fixed thread count gives bit-identical results.
 */
public final class Parallel {
    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("t4j-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
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
     * {@code grain} (small jobs stay on the calling thread: a fork costs microseconds).
     */
    public void forRange(int n, int grain, Range body) {
        int chunks = (int) Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || pool == null) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        RecursiveAction[] tasks = new RecursiveAction[chunks];
        for (int c = 0; c < chunks; c++) {
            int start = (int) ((long) n * c / chunks);
            int end = (int) ((long) n * (c + 1) / chunks);
            tasks[c] = new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(start, end);
                }
            };
        }
        pool.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(tasks);
            }
        });
    }
}
