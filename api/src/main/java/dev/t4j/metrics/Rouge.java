package dev.t4j.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F-measures (Lin 2004) with the tokenisation of Google's rouge_score package (what
 * Hugging Face's evaluate uses, without stemming): lowercase, every run of characters other than a-z and 0-9 is a
 * separator. ROUGE-N counts clipped n-gram matches; ROUGE-L uses the longest common subsequence.
 */
public final class Rouge {
    /** F-measures in [0, 1]. */
    public record Scores(double rouge1, double rouge2, double rougeL) {
        public Scores plus(Scores o) {
            return new Scores(rouge1 + o.rouge1, rouge2 + o.rouge2, rougeL + o.rougeL);
        }

        public Scores times(double f) {
            return new Scores(rouge1 * f, rouge2 * f, rougeL * f);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "ROUGE-1 %.2f, ROUGE-2 %.2f, ROUGE-L %.2f", 100 * rouge1, 100 * rouge2,
                    100 * rougeL);
        }
    }

    private Rouge() {}

    public static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (String t : text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", " ").trim().split(" ")) {
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    public static Scores score(String prediction, String reference) {
        List<String> p = tokens(prediction);
        List<String> r = tokens(reference);
        return new Scores(ngram(p, r, 1), ngram(p, r, 2), lcs(p, r));
    }

    /** The mean over pairs. */
    public static Scores mean(List<String> predictions, List<String> references) {
        if (predictions.size() != references.size() || predictions.isEmpty()) {
            throw new IllegalArgumentException(predictions.size() + " predictions for " + references.size() + " references");
        }
        Scores sum = new Scores(0, 0, 0);
        for (int i = 0; i < predictions.size(); i++) {
            sum = sum.plus(score(predictions.get(i), references.get(i)));
        }
        return sum.times(1.0 / predictions.size());
    }

    private static Map<String, Integer> grams(List<String> t, int n) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i + n <= t.size(); i++) {
            m.merge(String.join(" ", t.subList(i, i + n)), 1, Integer::sum);
        }
        return m;
    }

    private static double f1(double overlap, double predTotal, double refTotal) {
        if (predTotal == 0 || refTotal == 0 || overlap == 0) {
            return 0;
        }
        double precision = overlap / predTotal;
        double recall = overlap / refTotal;
        return 2 * precision * recall / (precision + recall);
    }

    static double ngram(List<String> pred, List<String> ref, int n) {
        Map<String, Integer> p = grams(pred, n);
        Map<String, Integer> r = grams(ref, n);
        int overlap = 0;
        for (var e : p.entrySet()) {
            overlap += Math.min(e.getValue(), r.getOrDefault(e.getKey(), 0));
        }
        return f1(overlap, Math.max(0, pred.size() - n + 1), Math.max(0, ref.size() - n + 1));
    }

    static double lcs(List<String> pred, List<String> ref) {
        int[][] d = new int[pred.size() + 1][ref.size() + 1];
        for (int i = 1; i <= pred.size(); i++) {
            for (int j = 1; j <= ref.size(); j++) {
                d[i][j] = pred.get(i - 1).equals(ref.get(j - 1)) ? d[i - 1][j - 1] + 1 : Math.max(d[i - 1][j], d[i][j - 1]);
            }
        }
        return f1(d[pred.size()][ref.size()], pred.size(), ref.size());
    }
}
