package dev.t4j.optim;

/** The learning rate at each optimizer step (1-based). */
@FunctionalInterface
public interface LrSchedule {
    double at(long step);

    static LrSchedule constant(double lr) {
        return step -> lr;
    }

    /** Linear warmup from 0 to {@code peak}, then linear decay to 0 at {@code total}. */
    static LrSchedule warmupLinear(double peak, long warmup, long total) {
        return step -> step <= warmup ? peak * step / Math.max(1, warmup)
                : peak * Math.max(0, (double) (total - step) / Math.max(1, total - warmup));
    }

    /** T5's inverse square root: 1 / sqrt(max(step, warmup)), times {@code scale}. */
    static LrSchedule inverseSqrt(double scale, long warmup) {
        return step -> scale / Math.sqrt(Math.max(step, Math.max(1, warmup)));
    }

    /** Parses "cosine", "linear", "constant" or "inverse-sqrt" for command lines. */
    static LrSchedule named(String name, double peak, long warmup, long total) {
        return switch (name) {
            case "cosine" -> new WarmupCosine(peak, peak / 10, warmup, total);
            case "linear" -> warmupLinear(peak, warmup, total);
            case "constant" -> constant(peak);
            case "inverse-sqrt" -> inverseSqrt(peak * Math.sqrt(Math.max(1, warmup)), warmup);
            default -> throw new IllegalArgumentException("unknown schedule '" + name
                    + "' (cosine, linear, constant, inverse-sqrt)");
        };
    }
}
