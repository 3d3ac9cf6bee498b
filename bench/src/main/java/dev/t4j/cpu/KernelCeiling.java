package dev.t4j.cpu;

import dev.t4j.bench.Warmup;
import java.util.Arrays;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The ceilings a GEMM's rate is read against, on one thread: the core's FMA peak as Java's Vector API reaches it (20
 * independent fused multiply-adds a step, no memory), and the GEMM micro-kernel alone with its operands hot (one
 * packed sliver of A in L1, one KC x NB panel of B in L2 from a cache line's start, as {@link Gemm} holds them), in
 * both of its A layouts, and its short form for a last sliver of a few rows (its rate counted on the rows it
 * computes); then the kernel as a product runs it, A's slivers taken in turn from a block of {@link Gemm#MCB} rows
 * (5.2 MB at KC 512, in L3), each over the whole panel. A product's own rate below that is packing and merging; the
 * kernel's below the peak is the loop's loads and index arithmetic, and reading A from L3. In package dev.t4j.cpu (in
 * the bench module): the kernel is package-private. Prints one JSON line; bench/products.sh runs it after the
 * products. Arguments: seconds per measurement (default 3).
 */
public final class KernelCeiling {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int WINDOWS = 12;
    static float sink; // the FMA chains' result, kept so that the JIT cannot drop them

    private KernelCeiling() {}

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        long steps = 1_000_000;
        double peak = rate(20.0 * S.length() * 2 * steps, () -> sink += fmaSteps(steps), seconds);
        float[] ap = new float[Gemm.MR * Gemm.KC + S.length()];
        float[] bp = new float[Gemm.NB * Gemm.KC + S.length()];
        float[] out = new float[Gemm.MR * Gemm.NR + S.length()];
        for (int i = 0; i < ap.length; i++) {
            ap[i] = 0.5f + (i % 7) / 16f;
        }
        for (int i = 0; i < bp.length; i++) {
            bp[i] = 0.5f + (i % 5) / 16f;
        }
        double rows = panelRate(Gemm.MR, Gemm::kernelRows, ap, bp, out, seconds);
        double cols = panelRate(Gemm.MR, Gemm::kernelCols, ap, bp, out, seconds);
        double shortRows = panelRate(Gemm.SHORT_MR, Gemm::kernelRowsShort, ap, bp, out, seconds);
        float[] block = new float[Gemm.MCB * Gemm.KC + S.length()];
        for (int i = 0; i < block.length; i++) {
            block[i] = 0.5f + (i % 7) / 16f;
        }
        double colsFromL3 = blockRate(block, bp, out, seconds);
        System.out.printf(Locale.ROOT, "{\"threads\": 1, \"fma_peak_gflops\": %.1f, \"kernel_rows_gflops\": %.1f, "
                + "\"kernel_cols_gflops\": %.1f, \"kernel_short_rows_gflops\": %.1f, "
                + "\"kernel_cols_a_from_l3_gflops\": %.1f, \"mr\": %d, \"short_mr\": %d, \"nr\": %d, \"kc\": %d, "
                + "\"nb\": %d, \"a_block_rows\": %d}%n",
                peak / 1e9, rows / 1e9, cols / 1e9, shortRows / 1e9, colsFromL3 / 1e9, Gemm.MR, Gemm.SHORT_MR, Gemm.NR,
                Gemm.KC, Gemm.NB, Gemm.MCB);
    }

    /** A micro-kernel's signature (Gemm's kernels). */
    private interface Kernel {
        void run(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] out, int o, int ldo);
    }

    /**
     * The rate of {@code kernel} over one KC x NB panel of B, counted on the {@code rows} rows it computes, B's panel
     * and the tile from a cache line's start as Gemm packs them (the arrays do not move once the JIT is quiet: no
     * allocation goes on).
     */
    private static double panelRate(int rows, Kernel kernel, float[] ap, float[] bp, float[] out, double seconds) {
        return rate(2.0 * rows * Gemm.NB * Gemm.KC, () -> {
            int b = LineAlignment.firstAlignedIndex(bp);
            int t = LineAlignment.firstAlignedIndex(out);
            for (int s = 0; s < Gemm.NB / Gemm.NR; s++) {
                kernel.run(ap, 0, bp, b + s * Gemm.NR * Gemm.KC, Gemm.KC, out, t, Gemm.NR);
            }
        }, seconds);
    }

    /**
     * The rate of {@link Gemm#kernelCols} as {@link Gemm#block} drives it with several panels of B: each MR-row sliver
     * of a packed block of A in turn, over the whole panel, so that every sliver comes from L3 once and is then reused
     * from L1. The twenty-second session measured the difference to {@link #panelRate}'s one hot sliver at 6-8 %.
     */
    private static double blockRate(float[] block, float[] bp, float[] out, double seconds) {
        int slivers = Gemm.MCB / Gemm.MR;
        return rate(2.0 * Gemm.MCB * Gemm.NB * Gemm.KC, () -> {
            int b = LineAlignment.firstAlignedIndex(bp);
            int t = LineAlignment.firstAlignedIndex(out);
            for (int a = 0; a < slivers; a++) {
                for (int s = 0; s < Gemm.NB / Gemm.NR; s++) {
                    Gemm.kernelCols(block, a * Gemm.MR * Gemm.KC, bp, b + s * Gemm.NR * Gemm.KC, Gemm.KC, out, t,
                            Gemm.NR);
                }
            }
        }, seconds);
    }

    /**
     * Floating-point operations a second of {@code call} ({@code flop} each): warmed up until the JIT is quiet
     * ({@link Warmup}), then the median of {@link #WINDOWS} timed windows over {@code seconds}.
     */
    private static double rate(double flop, Runnable call, double seconds) {
        Warmup.untilCompiled(call, 1, 30);
        double[] rates = new double[WINDOWS];
        for (int w = 0; w < WINDOWS; w++) {
            long start = System.nanoTime();
            long calls = 0;
            do {
                call.run();
                calls++;
            } while (System.nanoTime() - start < seconds / WINDOWS * 1e9);
            rates[w] = calls * flop / ((System.nanoTime() - start) / 1e9);
        }
        Arrays.sort(rates);
        return (rates[WINDOWS / 2 - 1] + rates[WINDOWS / 2]) / 2;
    }

    /** 20 independent multiply-add chains (more than the FMA units' latency times their count), in registers. */
    private static float fmaSteps(long steps) {
        FloatVector m = FloatVector.broadcast(S, 0.999f);
        FloatVector c = FloatVector.broadcast(S, 0.001f);
        FloatVector a0 = FloatVector.broadcast(S, 0f), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3), a4 = a0.add(4);
        FloatVector a5 = a0.add(5), a6 = a0.add(6), a7 = a0.add(7), a8 = a0.add(8), a9 = a0.add(9);
        FloatVector a10 = a0.add(10), a11 = a0.add(11), a12 = a0.add(12), a13 = a0.add(13), a14 = a0.add(14);
        FloatVector a15 = a0.add(15), a16 = a0.add(16), a17 = a0.add(17), a18 = a0.add(18), a19 = a0.add(19);
        for (long i = 0; i < steps; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
            a12 = a12.fma(m, c);
            a13 = a13.fma(m, c);
            a14 = a14.fma(m, c);
            a15 = a15.fma(m, c);
            a16 = a16.fma(m, c);
            a17 = a17.fma(m, c);
            a18 = a18.fma(m, c);
            a19 = a19.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).add(a12)
                .add(a13).add(a14).add(a15).add(a16).add(a17).add(a18).add(a19).lane(0);
    }
}
