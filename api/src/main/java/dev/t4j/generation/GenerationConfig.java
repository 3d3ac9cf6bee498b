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

    /**
     * Hugging Face's generation_config.json (do_sample, temperature, top_k, top_p, repetition_penalty,
     * no_repeat_ngram_size, max_new_tokens, eos_token_id as one id or a list), over {@code defaults} for what the
     * file leaves out. Keys t4j does not use are ignored.
     */
    @SuppressWarnings("unchecked")
    public static GenerationConfig fromHuggingFace(java.util.Map<String, Object> json, GenerationConfig defaults) {
        java.util.List<Long> stops = new java.util.ArrayList<>(defaults.stopTokens());
        Object eos = json.get("eos_token_id");
        if (eos instanceof Number n) {
            stops.add(n.longValue());
        } else if (eos instanceof java.util.List<?> l) {
            for (Object o : l) {
                stops.add(((Number) o).longValue());
            }
        }
        return new GenerationConfig(
                json.get("max_new_tokens") instanceof Number n ? n.intValue() : defaults.maxNewTokens(),
                json.get("do_sample") instanceof Boolean b ? b : defaults.doSample(),
                json.get("temperature") instanceof Number n ? n.doubleValue() : defaults.temperature(),
                json.get("top_k") instanceof Number n ? n.intValue() : defaults.topK(),
                json.get("top_p") instanceof Number n ? n.doubleValue() : defaults.topP(),
                defaults.minP(),
                json.get("repetition_penalty") instanceof Number n ? n.doubleValue() : defaults.repetitionPenalty(),
                json.get("no_repeat_ngram_size") instanceof Number n ? n.intValue() : defaults.noRepeatNgramSize(),
                stops.stream().distinct().toList(), defaults.seed(), defaults.useCache());
    }
}
