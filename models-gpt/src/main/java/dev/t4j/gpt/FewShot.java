package dev.t4j.gpt;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * In-context learning as in GPT-3 (Brown et al. 2020): k labelled demonstrations and the query are written into
 * one prompt, and the model "answers" by the candidate whose tokens it finds most likely after the prompt (the sum
 * of their log-probabilities). No weight changes.
 */
public final class FewShot {
    /** A labelled example; the label is the text written after the query (e.g. "positive"). */
    public record Example(String text, String label) {}

    /** How one example is written: {@code input} with {text}, then {@code output} with {label}; examples joined by {@code separator}. */
    public record Template(String input, String output, String separator) {
        /** "Review: ...\nSentiment: positive", blank line between examples. */
        public static Template sentiment() {
            return new Template("Review: {text}\nSentiment:", " {label}", "\n\n");
        }
    }

    private FewShot() {}

    public static String prompt(List<Example> shots, String query, Template t) {
        StringBuilder sb = new StringBuilder();
        for (Example e : shots) {
            sb.append(t.input().replace("{text}", e.text())).append(t.output().replace("{label}", e.label()))
                    .append(t.separator());
        }
        return sb.append(t.input().replace("{text}", query)).toString();
    }

    /** Sum of the log-probabilities of each candidate's tokens following the prompt. */
    public static double[] score(GPT2LMHeadModel model, Tokenizer tok, String prompt, List<String> candidates,
            Template t) {
        int[] p = tok.encode(prompt, null, false).ids();
        double[] out = new double[candidates.size()];
        boolean training = model.isTraining();
        model.eval();
        try (var g = GradMode.noGrad(); Scope s = Scope.open("few-shot")) {
            for (int c = 0; c < candidates.size(); c++) {
                int[] cand = tok.encode(t.output().replace("{label}", candidates.get(c)), null, false).ids();
                int total = p.length + cand.length;
                int drop = Math.max(0, total - model.config.nPositions()); // keep the end: the query and the answer
                long[] ids = new long[total - drop];
                for (int i = drop; i < total; i++) {
                    ids[i - drop] = i < p.length ? p[i] : cand[i - p.length];
                }
                Tensor logp = model.forward(Tensor.of(ids, 1, ids.length), null, false).logits().logSoftmax(-1);
                float[] lp = logp.reshape(-1).toFloatArray();
                int vocab = logp.size(2);
                double sum = 0;
                for (int i = 0; i < cand.length; i++) {
                    int position = p.length - 1 + i - drop; // the logits that predict candidate token i
                    sum += lp[position * vocab + cand[i]];
                }
                out[c] = sum;
            }
        } finally {
            model.train(training);
        }
        return out;
    }

    /** The candidate with the highest score. */
    public static String classify(GPT2LMHeadModel model, Tokenizer tok, List<Example> shots, String query,
            List<String> candidates, Template t) {
        double[] s = score(model, tok, prompt(shots, query, t), candidates, t);
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            if (s[i] > s[best]) {
                best = i;
            }
        }
        return candidates.get(best);
    }

    /** Accuracy on {@code eval} with k demonstrations drawn from {@code pool} per query (seeded). */
    public static double accuracy(GPT2LMHeadModel model, Tokenizer tok, List<Example> pool, List<Example> eval, int k,
            List<String> candidates, Template t, long seed) {
        Generator gen = new Generator(seed);
        int correct = 0;
        for (Example e : eval) {
            List<Example> shots = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                shots.add(pool.get(gen.nextInt(pool.size())));
            }
            correct += classify(model, tok, shots, e.text(), candidates, t).equals(e.label()) ? 1 : 0;
        }
        return (double) correct / eval.size();
    }
}
