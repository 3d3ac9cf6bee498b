package dev.t4j.gpt;

import dev.t4j.autograd.GradMode;
import dev.t4j.generation.BeamSearch;
import dev.t4j.generation.Decoding;
import dev.t4j.generation.GenerationConfig;
import dev.t4j.generation.LogitsProcessing;
import dev.t4j.memory.Scope;
import dev.t4j.nn.KVCache;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Autoregressive generation from a GPT-2 model: the prompt is run once, then one token at a time against the
 * key/value cache (or, without the cache, the whole sequence again: the reference the cache is tested against).
 * Each new token is handed to {@code onToken} as soon as it is chosen, for streaming.
 */
public final class TextGeneration {
    private TextGeneration() {}

    /** The prompt followed by the generated tokens. */
    public static long[] generate(GPT2LMHeadModel model, long[] prompt, GenerationConfig c, LongConsumer onToken) {
        return run(model, prompt, c, onToken, null);
    }

    /** As {@link #generate}, also returning each step's next-token logits (for tests and parity). */
    static long[] run(GPT2LMHeadModel model, long[] prompt, GenerationConfig c, LongConsumer onToken,
            float[][] stepLogits) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: GPT-2 needs at least one token to condition on");
        }
        int limit = model.config.nPositions();
        if (prompt.length > limit) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the model's context is "
                    + limit + " (n_positions)");
        }
        int total = Math.min(limit, prompt.length + c.maxNewTokens());
        long[] seq = Arrays.copyOf(prompt, total);
        int len;
        boolean training = model.isTraining();
        model.eval();
        try (var noGrad = GradMode.noGrad(); Scope scope = Scope.open("generate")) {
            KVCache cache = c.useCache() ? model.newCache(1, total) : null;
            int[] fed = {0}; // tokens already in the cache
            len = Decoding.decode(seq, prompt.length, c, -1, (tokens, n) -> {
                long[] input = c.useCache() ? Arrays.copyOfRange(tokens, fed[0], n) : Arrays.copyOf(tokens, n);
                Tensor out = model.forward(Tensor.of(input, 1, input.length), null, false, cache).logits();
                fed[0] = n;
                return out.select(1, input.length - 1).reshape(-1).toFloatArray();
            }, onToken, stepLogits);
        } finally {
            model.train(training);
        }
        return Arrays.copyOf(seq, len);
    }

    /**
     * Beam search ({@code beams} hypotheses, length penalty as Hugging Face's) with the key/value cache, reordered to
     * each surviving beam's parent at every step. Returns the best hypothesis' new tokens.
     */
    public static BeamSearch.Hypothesis beamSearch(GPT2LMHeadModel model, long[] prompt, int beams, int maxNewTokens,
            double lengthPenalty, long[] endTokens) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: GPT-2 needs at least one token to condition on");
        }
        int total = prompt.length + maxNewTokens;
        if (total > model.config.nPositions()) {
            throw new IllegalArgumentException("the prompt of " + prompt.length + " tokens plus " + maxNewTokens
                    + " new ones exceeds the model's context of " + model.config.nPositions() + " (n_positions)");
        }
        boolean training = model.isTraining();
        model.eval();
        try (var noGrad = GradMode.noGrad(); Scope scope = Scope.open("beam-search")) {
            KVCache cache = model.newCache(beams, total);
            if (prompt.length > 1) {
                try (Scope s = Scope.open("prompt")) {
                    long[] ids = new long[beams * (prompt.length - 1)];
                    for (int b = 0; b < beams; b++) {
                        System.arraycopy(prompt, 0, ids, b * (prompt.length - 1), prompt.length - 1);
                    }
                    model.forward(Tensor.of(ids, beams, prompt.length - 1), null, false, cache);
                }
            }
            return BeamSearch.search((parents, tokens) -> {
                try (Scope s = Scope.open("step")) {
                    if (parents != null) {
                        cache.reorder(parents);
                    }
                    Tensor logits = model.forward(Tensor.of(tokens, beams, 1), null, false, cache).logits(); // (k, 1, V)
                    float[] flat = logits.toFloatArray();
                    int v = logits.size(2);
                    float[][] out = new float[beams][];
                    for (int b = 0; b < beams; b++) {
                        out[b] = java.util.Arrays.copyOfRange(flat, b * v, (b + 1) * v);
                    }
                    return out;
                }
            }, beams, maxNewTokens, lengthPenalty, endTokens, prompt[prompt.length - 1]);
        } finally {
            model.train(training);
        }
    }

    /**
     * Generation for several prompts of different lengths at once: left-padded with {@code padId}, an attention
     * mask hiding the padding, and per-row position ids counting real tokens, as Hugging Face's generate. Each
     * row stops at its own stop token (later positions of a stopped row are dropped). Returns prompt + new tokens
     * per row.
     */
    public static List<long[]> generateBatch(GPT2LMHeadModel model, List<long[]> prompts, GenerationConfig c, long padId) {
        int b = prompts.size();
        int longest = 0;
        for (long[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("an empty prompt in the batch");
            }
            longest = Math.max(longest, p.length);
        }
        int total = longest + c.maxNewTokens();
        if (total > model.config.nPositions()) {
            throw new IllegalArgumentException("the longest prompt (" + longest + " tokens) plus " + c.maxNewTokens()
                    + " new ones exceeds the model's context of " + model.config.nPositions() + " (n_positions)");
        }
        long[][] seq = new long[b][total];
        long[] mask = new long[b * total];
        long[] nextPos = new long[b];
        for (int r = 0; r < b; r++) {
            long[] p = prompts.get(r);
            int pad = longest - p.length;
            java.util.Arrays.fill(seq[r], 0, pad, padId);
            System.arraycopy(p, 0, seq[r], pad, p.length);
            for (int j = pad; j < longest; j++) {
                mask[r * total + j] = 1;
            }
            nextPos[r] = p.length;
        }
        boolean[] done = new boolean[b];
        int[] lengths = new int[b];
        java.util.Arrays.fill(lengths, longest);
        Generator gen = new Generator(c.seed());
        boolean training = model.isTraining();
        model.eval();
        try (var noGrad = GradMode.noGrad(); Scope scope = Scope.open("generate-batch")) {
            KVCache cache = model.newCache(b, total);
            int len = longest;
            int fed = 0;
            while (len < total) {
                float[][] rows = new float[b][];
                try (Scope s = Scope.open("step")) {
                    int t = len - fed;
                    long[] ids = new long[b * t];
                    long[] pos = new long[b * t];
                    long[] m = new long[b * len];
                    for (int r = 0; r < b; r++) {
                        int pad = longest - prompts.get(r).length;
                        for (int j = 0; j < t; j++) {
                            ids[r * t + j] = seq[r][fed + j];
                            pos[r * t + j] = Math.max(0, fed + j - pad);
                        }
                        System.arraycopy(mask, r * total, m, r * len, len);
                    }
                    Tensor logits = model.forward(Tensor.of(ids, b, t), Tensor.of(m, b, len), false, cache,
                            Tensor.of(pos, b, t)).logits(); // (B, t, V)
                    int v = logits.size(2);
                    float[] flat = logits.select(1, t - 1).contiguous().toFloatArray();
                    for (int r = 0; r < b; r++) {
                        rows[r] = java.util.Arrays.copyOfRange(flat, r * v, (r + 1) * v);
                    }
                }
                fed = len;
                for (int r = 0; r < b; r++) {
                    long next = done[r] ? padId : LogitsProcessing.next(rows[r], seq[r], len, c, gen);
                    seq[r][len] = next;
                    mask[r * total + len] = 1;
                    if (!done[r]) {
                        lengths[r] = len + 1;
                        done[r] = c.stopTokens().contains(next);
                    }
                }
                len++;
                boolean all = true;
                for (boolean d : done) {
                    all &= d;
                }
                if (all) {
                    break;
                }
            }
        } finally {
            model.train(training);
        }
        List<long[]> out = new java.util.ArrayList<>();
        for (int r = 0; r < b; r++) {
            int pad = longest - prompts.get(r).length;
            out.add(java.util.Arrays.copyOfRange(seq[r], pad, lengths[r]));
        }
        return out;
    }
}
