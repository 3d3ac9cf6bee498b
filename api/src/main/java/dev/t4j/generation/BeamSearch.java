package dev.t4j.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Beam search with a length penalty, as Hugging Face's generate(num_beams=k): each step extends every live beam
 * by every token, keeps the 2k best continuations, moves those ending in an end token to the finished list (scored
 * by sum of log-probabilities / length^lengthPenalty), and continues with the k best others. It stops when k
 * hypotheses are finished and no live beam can still beat the worst of them, or at maxNewTokens.
 */
public final class BeamSearch {
    /** A model seen one step at a time: reorder its state to {@code parents}, feed {@code tokens}, return logits. */
    public interface Stepper {
        /** Logits [beams][vocab] for the next token of each beam. parents is null on the first call. */
        float[][] step(int[] parents, long[] tokens);
    }

    /** A finished hypothesis: the generated tokens and its length-normalised score. */
    public record Hypothesis(long[] tokens, double score) {}

    private BeamSearch() {}

    /**
     * Runs the search. The first call to {@code stepper} gets the initial tokens (each beam's last prompt token, or
     * the decoder start token); only beam 0 is live at first, so the beams start out distinct.
     */
    public static Hypothesis search(Stepper stepper, int beams, int maxNewTokens, double lengthPenalty, long[] endTokens,
            long firstToken) {
        if (beams < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("beam search needs beams >= 1 and maxNewTokens >= 1");
        }
        double[] scores = new double[beams];
        Arrays.fill(scores, Double.NEGATIVE_INFINITY);
        scores[0] = 0;
        long[][] seqs = new long[beams][0];
        long[] tokens = new long[beams];
        Arrays.fill(tokens, firstToken);
        int[] parents = null;
        List<Hypothesis> finished = new ArrayList<>();
        for (int step = 0; step < maxNewTokens; step++) {
            float[][] logits = stepper.step(parents, tokens);
            int vocab = logits[0].length;
            // candidates: (score, beam, token), best 2k
            int keep = 2 * beams;
            double[] candScore = new double[keep];
            int[] candBeam = new int[keep];
            int[] candTok = new int[keep];
            Arrays.fill(candScore, Double.NEGATIVE_INFINITY);
            for (int b = 0; b < beams; b++) {
                if (scores[b] == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double[] logp = logSoftmax(logits[b]);
                for (int t = 0; t < vocab; t++) {
                    double s = scores[b] + logp[t];
                    if (s > candScore[keep - 1]) {
                        int at = keep - 1;
                        while (at > 0 && candScore[at - 1] < s) {
                            candScore[at] = candScore[at - 1];
                            candBeam[at] = candBeam[at - 1];
                            candTok[at] = candTok[at - 1];
                            at--;
                        }
                        candScore[at] = s;
                        candBeam[at] = b;
                        candTok[at] = t;
                    }
                }
            }
            double[] nextScores = new double[beams];
            Arrays.fill(nextScores, Double.NEGATIVE_INFINITY);
            long[][] nextSeqs = new long[beams][];
            int[] nextParents = new int[beams];
            long[] nextTokens = new long[beams];
            int filled = 0;
            for (int c = 0; c < keep && filled < beams; c++) {
                if (candScore[c] == Double.NEGATIVE_INFINITY) {
                    break;
                }
                long[] seq = Arrays.copyOf(seqs[candBeam[c]], step + 1);
                seq[step] = candTok[c];
                if (contains(endTokens, candTok[c])) {
                    finished.add(new Hypothesis(seq, candScore[c] / Math.pow(seq.length, lengthPenalty)));
                    continue;
                }
                nextScores[filled] = candScore[c];
                nextSeqs[filled] = seq;
                nextParents[filled] = candBeam[c];
                nextTokens[filled] = candTok[c];
                filled++;
            }
            for (int b = filled; b < beams; b++) {
                nextSeqs[b] = nextSeqs[0] == null ? new long[0] : nextSeqs[0];
                nextParents[b] = nextParents[0];
                nextTokens[b] = nextTokens[0];
            }
            scores = nextScores;
            seqs = nextSeqs;
            parents = nextParents;
            tokens = nextTokens;
            finished.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
            if (finished.size() >= beams) {
                double worst = finished.get(beams - 1).score();
                double bestLive = filled == 0 ? Double.NEGATIVE_INFINITY : scores[0] / Math.pow(step + 1, lengthPenalty);
                if (bestLive <= worst) {
                    break;
                }
            }
            if (filled == 0) {
                break;
            }
        }
        for (int b = 0; b < beams; b++) {
            if (scores[b] != Double.NEGATIVE_INFINITY && seqs[b].length > 0) {
                finished.add(new Hypothesis(seqs[b], scores[b] / Math.pow(seqs[b].length, lengthPenalty)));
            }
        }
        finished.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
        return finished.getFirst();
    }

    private static boolean contains(long[] a, long v) {
        for (long x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }
}
