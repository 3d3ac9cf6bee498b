package dev.t4j.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Runs a benchmark's unit of work until the JIT has finished compiling it, so that what is timed next is the
 * steady state a long training or serving run lives in, not the compiler. A fixed warm-up of a few seconds was not
 * enough on this 2-core machine: with one C1 and one C2 compiler thread, the GEMM's driver loop reached C2 only
 * after 7 s of the GPT training benchmark, and while the compiler ran it took a core from the two-thread runs (the
 * toolkit model at two threads: 7,757-7,829 tokens/s after 5 s, 9,000-9,731 after 15 s). Here a window of steps
 * counts as quiet when the compilers worked less than 1 % of its wall time; the warm-up ends after two quiet windows in
 * a row (at least {@code minSeconds}, at most {@code maxSeconds}, when it gives up and says so on stderr).
 */
public final class Warmup {
    private static final double WINDOW_SECONDS = 1.0;
    private static final double QUIET_SHARE = 0.01;

    private Warmup() {}

    /** Runs {@code step} at least three times and {@code minSeconds}, then until the JIT is quiet. */
    public static void untilCompiled(Runnable step, double minSeconds, double maxSeconds) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean measurable = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        for (int i = 0; i < 3 || seconds(start) < minSeconds; i++) {
            step.run();
        }
        if (!measurable) {
            System.err.println("warm-up: this JVM does not report compilation time; timed after "
                    + String.format(Locale.ROOT, "%.1f", seconds(start)) + " s");
            return;
        }
        int quiet = 0;
        while (quiet < 2) {
            if (seconds(start) > maxSeconds) {
                System.err.printf(Locale.ROOT, "warm-up: the JIT was still compiling after %.0f s; timing anyway%n",
                        maxSeconds);
                return;
            }
            long compiledBefore = jit.getTotalCompilationTime();
            long windowStart = System.nanoTime();
            do {
                step.run();
            } while (seconds(windowStart) < WINDOW_SECONDS);
            double compiling = (jit.getTotalCompilationTime() - compiledBefore) / 1e3;
            quiet = compiling < QUIET_SHARE * seconds(windowStart) ? quiet + 1 : 0;
        }
        System.err.printf(Locale.ROOT, "warm-up: %.1f s until the JIT was quiet%n", seconds(start));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
