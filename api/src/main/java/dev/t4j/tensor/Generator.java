package dev.t4j.tensor;

/**
 * A seeded random number generator (SplitMix64). Every random op takes one explicitly, so a run is
 * reproducible from its seeds alone; the same seed gives the same numbers on every backend because the
 * numbers are drawn here, on the host.
 */
public final class Generator {
    private long state;
    private double spareNormal = Double.NaN;

    public Generator(long seed) {
        this.state = seed;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    /** Standard normal, by the Box-Muller transform (two values per pair of uniforms). */
    public double nextGaussian() {
        if (!Double.isNaN(spareNormal)) {
            double s = spareNormal;
            spareNormal = Double.NaN;
            return s;
        }
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 == 0.0);
        double u2 = nextDouble();
        double r = Math.sqrt(-2.0 * Math.log(u1));
        spareNormal = r * Math.sin(2 * Math.PI * u2);
        return r * Math.cos(2 * Math.PI * u2);
    }

    /** The full state, so a checkpoint can restore the stream exactly. */
    public long[] state() {
        return new long[] {state, Double.doubleToRawLongBits(spareNormal)};
    }

    public void restore(long[] saved) {
        state = saved[0];
        spareNormal = Double.longBitsToDouble(saved[1]);
    }
}
