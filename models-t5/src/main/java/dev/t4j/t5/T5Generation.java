package dev.t4j.t5;

import dev.t4j.autograd.GradMode;
import dev.t4j.generation.BeamSearch;
import dev.t4j.generation.Decoding;
import dev.t4j.generation.GenerationConfig;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Tensor;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Text-to-text generation: the input is encoded once, then the decoder runs from decoder_start_token_id one token
 * at a time against its cache (self-attention keys/values appended, cross-attention keys/values of the encoder
 * output computed once), until </s>, a stop token, or maxNewTokens. Without the cache the decoder re-runs the whole
 * prefix each step: the reference the cache is tested against.
 */
public final class T5Generation {
    private T5Generation() {}

    /** The generated decoder tokens (without the start token; with the final </s> when one was produced). */
    public static long[] generate(T5ForConditionalGeneration model, long[] input, GenerationConfig c,
            LongConsumer onToken) {
        return run(model, input, c, onToken, null);
    }

    static long[] run(T5ForConditionalGeneration model, long[] input, GenerationConfig c, LongConsumer onToken,
            float[][] stepLogits) {
        if (input.length == 0) {
            throw new IllegalArgumentException("the input is empty");
        }
        long[] seq = new long[c.maxNewTokens() + 1];
        seq[0] = model.config.decoderStartTokenId();
        int len;
        boolean training = model.isTraining();
        model.eval();
        try (var noGrad = GradMode.noGrad(); Scope scope = Scope.open("generate")) {
            Tensor encoderOut = model.encode(Tensor.of(input, 1, input.length), null);
            T5ForConditionalGeneration.Cache cache = c.useCache() ? model.newCache(1, seq.length) : null;
            len = Decoding.decode(seq, 1, c, model.config.eosTokenId(), (tokens, n) -> {
                long[] ids = c.useCache() ? new long[] {tokens[n - 1]} : Arrays.copyOf(tokens, n);
                Tensor out = model.decodeStep(Tensor.of(ids, 1, ids.length), encoderOut, null, cache);
                return out.select(1, ids.length - 1).reshape(-1).toFloatArray();
            }, onToken, stepLogits);
        } finally {
            model.train(training);
        }
        return Arrays.copyOfRange(seq, 1, len);
    }

    /**
     * Beam search ({@code beams} hypotheses, Hugging Face's length penalty) for one input, stopping hypotheses at
     * </s>: the encoder output is shared by all beams, the decoder's self-attention cache is reordered to each
     * surviving beam's parent at every step. Returns the best hypothesis' tokens (with </s> when it ended).
     */
    public static BeamSearch.Hypothesis beamSearch(T5ForConditionalGeneration model, long[] input, int beams,
            int maxNewTokens, double lengthPenalty) {
        boolean training = model.isTraining();
        model.eval();
        try (var noGrad = GradMode.noGrad(); Scope scope = Scope.open("beam-search")) {
            Tensor encoderOut = model.encode(Tensor.of(input, 1, input.length), null);
            Tensor memory = encoderOut.expand(beams, input.length, encoderOut.size(2));
            T5ForConditionalGeneration.Cache cache = model.newCache(beams, maxNewTokens + 1);
            return BeamSearch.search((parents, tokens) -> {
                try (Scope s = Scope.open("step")) {
                    if (parents != null) {
                        cache.reorder(parents);
                    }
                    Tensor logits = model.decodeStep(Tensor.of(tokens, beams, 1), memory, null, cache); // (k, 1, V)
                    float[] flat = logits.toFloatArray();
                    int v = logits.size(2);
                    float[][] out = new float[beams][];
                    for (int b = 0; b < beams; b++) {
                        out[b] = Arrays.copyOfRange(flat, b * v, (b + 1) * v);
                    }
                    return out;
                }
            }, beams, maxNewTokens, lengthPenalty, new long[] {model.config.eosTokenId()},
                    model.config.decoderStartTokenId());
        } finally {
            model.train(training);
        }
    }
}
