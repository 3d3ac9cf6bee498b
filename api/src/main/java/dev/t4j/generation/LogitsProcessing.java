package dev.t4j.generation;

import dev.t4j.tensor.Generator;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/** The next-token rules on a vector of logits, in Hugging Face's order and with its definitions. */
public final class LogitsProcessing {
    private LogitsProcessing() {}

    /**
     * The next token: repetition penalty and no-repeat n-grams over {@code seq[0, len)} applied to {@code logits}
     * (in place), then a draw ({@code doSample}) or the argmax.
     */
    public static int next(float[] logits, long[] seq, int len, GenerationConfig c, dev.t4j.tensor.Generator gen) {
        repetitionPenalty(logits, seq, len, c.repetitionPenalty());
        noRepeatNgram(logits, seq, len, c.noRepeatNgramSize());
        return c.doSample() ? sample(logits, c, gen) : argmax(logits);
    }

    /** HF's repetition penalty: a seen token's logit is divided by the penalty if positive, else multiplied. */
    public static void repetitionPenalty(float[] logits, long[] seq, int len, double penalty) {
        if (penalty == 1) {
            return;
        }
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < len; i++) {
            if (seen.add(seq[i])) {
                int t = (int) seq[i];
                logits[t] = (float) (logits[t] > 0 ? logits[t] / penalty : logits[t] * penalty);
            }
        }
    }

    /** Bans every token that would repeat an n-gram already in the sequence. */
    public static void noRepeatNgram(float[] logits, long[] seq, int len, int n) {
        if (n <= 0 || len + 1 < n) {
            return;
        }
        for (int start = 0; start + n <= len; start++) {
            boolean same = true;
            for (int j = 0; j < n - 1; j++) {
                if (seq[start + j] != seq[len - n + 1 + j]) {
                    same = false;
                    break;
                }
            }
            if (same) {
                logits[(int) seq[start + n - 1]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Temperature, then top-k, top-p and min-p filtering, then one draw from what is left. */
    public static int sample(float[] logits, GenerationConfig c, Generator gen) {
        int v = logits.length;
        double[] p = new double[v];
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp((logits[i] - max) / c.temperature());
            sum += p[i];
        }
        for (int i = 0; i < v; i++) {
            p[i] /= sum;
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        boolean[] keep = new boolean[v];
        double cumulative = 0;
        double pmax = p[order[0]];
        for (int r = 0; r < v; r++) {
            int i = order[r];
            boolean inK = c.topK() == 0 || r < c.topK();
            boolean inP = r == 0 || cumulative < c.topP(); // the smallest set whose mass reaches top_p
            boolean aboveMin = p[i] >= c.minP() * pmax;
            keep[i] = inK && inP && aboveMin;
            cumulative += p[i];
        }
        double kept = 0;
        for (int i = 0; i < v; i++) {
            if (keep[i]) {
                kept += p[i];
            }
        }
        double r = gen.nextDouble() * kept;
        int last = order[0];
        for (int i = 0; i < v; i++) {
            if (keep[i]) {
                last = i;
                r -= p[i];
                if (r < 0) {
                    return i;
                }
            }
        }
        return last;
    }
}
