package dev.t4j.t5;

/**
 * T5's relative-position buckets: half the buckets (per direction, when bidirectional) for exact small
 * distances, the rest logarithmically spaced up to max_distance, beyond which all distances share the last
 * bucket. The log term is evaluated in float32 and truncated, as Hugging Face does, so the tables match exactly.
 */
public final class RelativePosition {
    private RelativePosition() {}

    /** The bucket of {@code relative = key_pos - query_pos}. */
    public static int bucket(int relative, boolean bidirectional, int numBuckets, int maxDistance) {
        int n = numBuckets;
        int bucket = 0;
        int r;
        if (bidirectional) {
            n /= 2;
            bucket = relative > 0 ? n : 0;
            r = Math.abs(relative);
        } else {
            r = Math.max(-relative, 0);
        }
        int exact = n / 2;
        if (r < exact) {
            return bucket + r;
        }
        float logRatio = (float) Math.log((float) r / (float) exact);
        float scaled = logRatio / (float) Math.log((double) maxDistance / exact) * (float) (n - exact);
        return bucket + Math.min(n - 1, exact + (int) scaled);
    }
}
