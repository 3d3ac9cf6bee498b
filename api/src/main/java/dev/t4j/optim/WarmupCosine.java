package dev.t4j.optim;

/** Learning rate: linear warmup from 0 to {@code peak}, then cosine decay to {@code floor} at {@code total}. */
public record WarmupCosine(double peak, double floor, long warmup, long total) implements LrSchedule {
    public WarmupCosine {
        if (warmup < 0 || total <= 0 || warmup > total || peak < 0 || floor < 0) {
            throw new IllegalArgumentException("bad schedule: peak=" + peak + " floor=" + floor + " warmup=" + warmup
                    + " total=" + total);
        }
    }

    /** The rate for step {@code step} (1-based). */
    @Override
    public double at(long step) {
        if (step <= warmup) {
            return peak * step / Math.max(1, warmup);
        }
        double progress = Math.min(1, (double) (step - warmup) / Math.max(1, total - warmup));
        return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
    }
}
