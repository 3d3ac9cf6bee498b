package dev.t4j.gpt;

import static dev.t4j.model.ConfigValues.integer;
import static dev.t4j.model.ConfigValues.number;
import static dev.t4j.model.ConfigValues.positive;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration of a GPT-2 model, with Hugging Face's config.json keys and defaults. Unknown keys are kept
 * in {@link #raw} so that writing the config back loses nothing.
 */
public record GPT2Config(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, int nInner,
        String activation, double layerNormEpsilon, double residPdrop, double embdPdrop, double attnPdrop,
        Map<String, Object> raw) {

    public GPT2Config {
        positive("vocab_size", vocabSize);
        positive("n_positions", nPositions);
        positive("n_embd", nEmbd);
        positive("n_layer", nLayer);
        positive("n_head", nHead);
        positive("n_inner", nInner);
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("config: n_embd " + nEmbd + " is not divisible by n_head " + nHead);
        }
        if (!activation.equals("gelu_new") && !activation.equals("gelu") && !activation.equals("relu")
                && !activation.equals("gelu_pytorch_tanh")) {
            throw new IllegalArgumentException("config: activation_function '" + activation
                    + "' is not supported (gelu_new, gelu_pytorch_tanh, gelu, relu are)");
        }
        if (!(layerNormEpsilon > 0)) {
            throw new IllegalArgumentException("config: layer_norm_epsilon must be positive, got " + layerNormEpsilon);
        }
        raw = new LinkedHashMap<>(raw);
    }

    public int headDim() {
        return nEmbd / nHead;
    }

    /** The config key of the GPT-3-style sparse option (t4j's own; Hugging Face ignores it and runs every layer dense). */
    public static final String LOCAL_WINDOW_KEY = "t4j_local_attention_window";

    /**
     * GPT-3's "alternating dense and locally banded sparse attention": 0 (the default) keeps every layer dense;
     * w > 0 makes every odd layer attend only to the w most recent positions (itself included).
     */
    public int localAttentionWindow() {
        return raw.get(LOCAL_WINDOW_KEY) instanceof Number n ? n.intValue() : 0;
    }

    /** Whether layer {@code layer} is a locally banded one. */
    public boolean isLocalLayer(int layer) {
        return localAttentionWindow() > 0 && layer % 2 == 1;
    }

    /** This config with the GPT-3-style alternating local attention of window {@code window} (0: all dense). */
    public GPT2Config withLocalAttention(int window) {
        if (window < 0) {
            throw new IllegalArgumentException("config: " + LOCAL_WINDOW_KEY + " must be >= 0, got " + window);
        }
        Map<String, Object> r = new LinkedHashMap<>(raw);
        if (window == 0) {
            r.remove(LOCAL_WINDOW_KEY);
        } else {
            r.put(LOCAL_WINDOW_KEY, (long) window);
        }
        return new GPT2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, nInner, activation, layerNormEpsilon,
                residPdrop, embdPdrop, attnPdrop, r);
    }

    /** Reads a parsed config.json, with HF's defaults for the keys it omits. */
    public static GPT2Config fromJson(Map<String, Object> json) {
        int nEmbd = integer(json, "n_embd", 768);
        Object inner = json.get("n_inner");
        return new GPT2Config(integer(json, "vocab_size", 50257), integer(json, "n_positions", 1024), nEmbd,
                integer(json, "n_layer", 12), integer(json, "n_head", 12),
                inner == null ? 4 * nEmbd : ((Number) inner).intValue(),
                String.valueOf(json.getOrDefault("activation_function", "gelu_new")),
                number(json, "layer_norm_epsilon", 1e-5), number(json, "resid_pdrop", 0.1),
                number(json, "embd_pdrop", 0.1), number(json, "attn_pdrop", 0.1), json);
    }

    /** config.json content: the raw keys, updated with this record's values and what HF needs to load it. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>(raw);
        m.put("model_type", "gpt2");
        m.putIfAbsent("architectures", java.util.List.of("GPT2LMHeadModel"));
        m.put("vocab_size", (long) vocabSize);
        m.put("n_positions", (long) nPositions);
        m.put("n_embd", (long) nEmbd);
        m.put("n_layer", (long) nLayer);
        m.put("n_head", (long) nHead);
        m.put("n_inner", nInner == 4 * nEmbd ? null : (Object) (long) nInner);
        m.put("activation_function", activation);
        m.put("layer_norm_epsilon", layerNormEpsilon);
        m.put("resid_pdrop", residPdrop);
        m.put("embd_pdrop", embdPdrop);
        m.put("attn_pdrop", attnPdrop);
        return m;
    }

    /** Named sizes: GPT-2 small/medium/large/xl, and tiny ones for laptops and tests. */
    public static GPT2Config preset(String name) {
        int[] s = switch (name) { // n_layer, n_head, n_embd
            case "gpt2", "gpt2-small" -> new int[] {12, 12, 768};
            case "gpt2-medium" -> new int[] {24, 16, 1024};
            case "gpt2-large" -> new int[] {36, 20, 1280};
            case "gpt2-xl" -> new int[] {48, 25, 1600};
            case "tiny" -> new int[] {4, 4, 256};
            case "nano" -> new int[] {2, 4, 128};
            default -> throw new IllegalArgumentException("unknown GPT preset '" + name
                    + "'; known: gpt2, gpt2-medium, gpt2-large, gpt2-xl, tiny, nano");
        };
        return new GPT2Config(50257, 1024, s[2], s[0], s[1], 4 * s[2], "gelu_new", 1e-5, 0.1, 0.1, 0.1, Map.of());
    }
}
