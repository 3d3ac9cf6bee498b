package dev.t4j.generation;

import java.util.List;

/**
 * How to pick tokens, with Hugging Face's names and meanings: greedy unless {@code doSample}; then temperature,
 * top-k, top-p (nucleus) and min-p filters; repetition penalty and no-repeat n-grams apply to both; generation
 * stops at {@code maxNewTokens} or on any stop token.
 */
public record GenerationConfig(int maxNewTokens, boolean doSample, double temperature, int topK, double topP,
        double minP, double repetitionPenalty, int noRepeatNgramSize, List<Long> stopTokens, long seed,
        boolean useCache) {

    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        if (topK < 0 || !(topP > 0 && topP <= 1) || minP < 0 || minP > 1 || !(repetitionPenalty > 0)
                || noRepeatNgramSize < 0) {
            throw new IllegalArgumentException("bad sampling options: topK=" + topK + " topP=" + topP + " minP=" + minP
                    + " repetitionPenalty=" + repetitionPenalty + " noRepeatNgramSize=" + noRepeatNgramSize);
        }
        stopTokens = List.copyOf(stopTokens);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens with the cache. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, false, 1, 0, 1, 0, 1, 0, List.of(), 0, true);
    }

    public GenerationConfig sampling(double temperature, int topK, double topP, long seed) {
        return new GenerationConfig(maxNewTokens, true, temperature, topK, topP, minP, repetitionPenalty,
                noRepeatNgramSize, stopTokens, seed, useCache);
    }

    public GenerationConfig withMinP(double p) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, p, repetitionPenalty,
                noRepeatNgramSize, stopTokens, seed, useCache);
    }

    public GenerationConfig withRepetitionPenalty(double penalty, int noRepeatNgram) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, minP, penalty, noRepeatNgram,
                stopTokens, seed, useCache);
    }

    public GenerationConfig withStopTokens(List<Long> stop) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, minP, repetitionPenalty,
                noRepeatNgramSize, stop, seed, useCache);
    }

    public GenerationConfig withCache(boolean cache) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, minP, repetitionPenalty,
                noRepeatNgramSize, stopTokens, seed, cache);
    }
}
