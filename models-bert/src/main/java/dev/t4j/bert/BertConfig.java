package dev.t4j.bert;

import static dev.t4j.model.ConfigValues.integer;
import static dev.t4j.model.ConfigValues.number;
import static dev.t4j.model.ConfigValues.positive;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** BERT's configuration with Hugging Face's config.json keys and defaults; unknown keys are kept in {@link #raw}. */
public record BertConfig(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
        int intermediateSize, String hiddenAct, double hiddenDropoutProb, double attentionProbsDropoutProb,
        int maxPositionEmbeddings, int typeVocabSize, double layerNormEps, int numLabels, Map<String, Object> raw) {

    public BertConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("type_vocab_size", typeVocabSize);
        positive("num_labels", numLabels);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("config: hidden_size " + hiddenSize + " is not divisible by "
                    + "num_attention_heads " + numAttentionHeads);
        }
        if (!List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "relu").contains(hiddenAct)) {
            throw new IllegalArgumentException("config: hidden_act '" + hiddenAct + "' is not supported (gelu, "
                    + "gelu_new, gelu_pytorch_tanh, relu are)");
        }
        raw = new LinkedHashMap<>(raw);
    }

    public static BertConfig fromJson(Map<String, Object> json) {
        int labels;
        if (json.get("num_labels") instanceof Long n) {
            labels = n.intValue();
        } else if (json.get("id2label") instanceof Map<?, ?> m) {
            labels = m.size();
        } else {
            labels = 2;
        }
        return new BertConfig(integer(json, "vocab_size", 30522), integer(json, "hidden_size", 768),
                integer(json, "num_hidden_layers", 12), integer(json, "num_attention_heads", 12),
                integer(json, "intermediate_size", 3072), String.valueOf(json.getOrDefault("hidden_act", "gelu")),
                number(json, "hidden_dropout_prob", 0.1), number(json, "attention_probs_dropout_prob", 0.1),
                integer(json, "max_position_embeddings", 512), integer(json, "type_vocab_size", 2),
                number(json, "layer_norm_eps", 1e-12), labels, json);
    }

    /** Named sizes: bert-base, bert-large, and the book's small pretraining setup. */
    public static BertConfig preset(String name) {
        int[] s = switch (name) { // layers, heads, hidden
            case "bert-base" -> new int[] {12, 12, 768};
            case "bert-large" -> new int[] {24, 16, 1024};
            case "bert-small" -> new int[] {2, 2, 128};
            case "bert-tiny" -> new int[] {2, 2, 64};
            default -> throw new IllegalArgumentException("unknown BERT preset '" + name
                    + "'; known: bert-base, bert-large, bert-small, bert-tiny");
        };
        return new BertConfig(30522, s[2], s[0], s[1], 4 * s[2], "gelu", 0.1, 0.1, 512, 2, 1e-12, 2, Map.of());
    }

    public Map<String, Object> toJson(String architecture) {
        Map<String, Object> m = new LinkedHashMap<>(raw);
        m.put("model_type", "bert");
        m.put("architectures", List.of(architecture));
        m.put("vocab_size", (long) vocabSize);
        m.put("hidden_size", (long) hiddenSize);
        m.put("num_hidden_layers", (long) numHiddenLayers);
        m.put("num_attention_heads", (long) numAttentionHeads);
        m.put("intermediate_size", (long) intermediateSize);
        m.put("hidden_act", hiddenAct);
        m.put("hidden_dropout_prob", hiddenDropoutProb);
        m.put("attention_probs_dropout_prob", attentionProbsDropoutProb);
        m.put("max_position_embeddings", (long) maxPositionEmbeddings);
        m.put("type_vocab_size", (long) typeVocabSize);
        m.put("layer_norm_eps", layerNormEps);
        return m;
    }
}
