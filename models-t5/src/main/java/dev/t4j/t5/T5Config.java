package dev.t4j.t5;

import static dev.t4j.model.ConfigValues.integer;
import static dev.t4j.model.ConfigValues.number;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * T5's configuration with Hugging Face's config.json keys and defaults (t5-small's), unknown keys kept in
 * {@link #raw}. {@code feedForwardProj} is "relu" (T5 v1.0) or "gated-gelu" (v1.1 / flan; HF maps it to the tanh
 * GELU), or "gated-relu".
 */
public record T5Config(int vocabSize, int dModel, int dKv, int dFf, int numLayers, int numDecoderLayers,
        int numHeads, int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, double dropoutRate,
        double layerNormEpsilon, String feedForwardProj, boolean tieWordEmbeddings, int decoderStartTokenId,
        int padTokenId, int eosTokenId, Map<String, Object> raw) {

    public T5Config {
        for (var e : Map.of("vocab_size", vocabSize, "d_model", dModel, "d_kv", dKv, "d_ff", dFf, "num_layers",
                numLayers, "num_decoder_layers", numDecoderLayers, "num_heads", numHeads,
                "relative_attention_num_buckets", relativeAttentionNumBuckets,
                "relative_attention_max_distance", relativeAttentionMaxDistance).entrySet()) {
            if (e.getValue() <= 0) {
                throw new IllegalArgumentException("config: " + e.getKey() + " must be positive, got " + e.getValue());
            }
        }
        if (!List.of("relu", "gated-gelu", "gated-relu", "gelu").contains(feedForwardProj)) {
            throw new IllegalArgumentException("config: feed_forward_proj '" + feedForwardProj
                    + "' is not supported (relu, gated-gelu, gated-relu, gelu are)");
        }
        raw = new LinkedHashMap<>(raw);
    }

    public boolean gated() {
        return feedForwardProj.startsWith("gated-");
    }

    public int inner() {
        return numHeads * dKv;
    }

    public static T5Config fromJson(Map<String, Object> json) {
        int layers = integer(json, "num_layers", 6);
        return new T5Config(integer(json, "vocab_size", 32128), integer(json, "d_model", 512), integer(json, "d_kv", 64),
                integer(json, "d_ff", 2048), layers, json.get("num_decoder_layers") == null ? layers
                        : integer(json, "num_decoder_layers", layers),
                integer(json, "num_heads", 8), integer(json, "relative_attention_num_buckets", 32),
                integer(json, "relative_attention_max_distance", 128), number(json, "dropout_rate", 0.1),
                number(json, "layer_norm_epsilon", 1e-6), String.valueOf(json.getOrDefault("feed_forward_proj", "relu")),
                !Boolean.FALSE.equals(json.get("tie_word_embeddings")), integer(json, "decoder_start_token_id", 0),
                integer(json, "pad_token_id", 0), integer(json, "eos_token_id", 1), json);
    }

    /** Named sizes: t5-small/base/large, and tiny ones. */
    public static T5Config preset(String name) {
        int[] s = switch (name) { // layers, heads, d_model, d_kv, d_ff
            case "t5-small" -> new int[] {6, 8, 512, 64, 2048};
            case "t5-base" -> new int[] {12, 12, 768, 64, 3072};
            case "t5-large" -> new int[] {24, 16, 1024, 64, 4096};
            case "t5-tiny" -> new int[] {2, 4, 128, 32, 512};
            default -> throw new IllegalArgumentException("unknown T5 preset '" + name
                    + "'; known: t5-small, t5-base, t5-large, t5-tiny");
        };
        return new T5Config(32128, s[2], s[3], s[4], s[0], s[0], s[1], 32, 128, 0.1, 1e-6, "relu", true, 0, 0, 1,
                Map.of());
    }

    /** config.json content, with every key HF needs to load it (decoder_start_token_id included). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>(raw);
        m.put("model_type", "t5");
        m.putIfAbsent("architectures", List.of("T5ForConditionalGeneration"));
        m.put("vocab_size", (long) vocabSize);
        m.put("d_model", (long) dModel);
        m.put("d_kv", (long) dKv);
        m.put("d_ff", (long) dFf);
        m.put("num_layers", (long) numLayers);
        m.put("num_decoder_layers", (long) numDecoderLayers);
        m.put("num_heads", (long) numHeads);
        m.put("relative_attention_num_buckets", (long) relativeAttentionNumBuckets);
        m.put("relative_attention_max_distance", (long) relativeAttentionMaxDistance);
        m.put("dropout_rate", dropoutRate);
        m.put("layer_norm_epsilon", layerNormEpsilon);
        m.put("feed_forward_proj", feedForwardProj);
        m.put("tie_word_embeddings", tieWordEmbeddings);
        m.put("decoder_start_token_id", (long) decoderStartTokenId);
        m.put("pad_token_id", (long) padTokenId);
        m.put("eos_token_id", (long) eosTokenId);
        m.put("is_encoder_decoder", true);
        return m;
    }
}
