package dev.t4j.gpt;

import dev.t4j.backend.Backends;
import dev.t4j.model.Checkpoints;
import dev.t4j.safetensors.CheckpointFiles;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loads and saves GPT2LMHeadModel checkpoints in Hugging Face's folder layout (config.json + model.safetensors). */
public final class GPT2Checkpoint {
    private GPT2Checkpoint() {}

    /** Buffers some GPT-2 checkpoints carry (the causal mask); they are recomputed, not loaded. */
    static boolean isBuffer(String name) {
        return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias");
    }

    public static GPT2LMHeadModel load(Path dir) {
        Map<String, Object> json = Checkpoints.config(dir, "gpt2", "GPT-2");
        GPT2LMHeadModel model = new GPT2LMHeadModel(GPT2Config.fromJson(json), new Generator(0));
        try (CheckpointFiles st = CheckpointFiles.open(dir)) {
            Map<String, Tensor> source = new LinkedHashMap<>();
            for (String name : st.names()) {
                if (!isBuffer(name)) {
                    // HF saves GPT2LMHeadModel keys with the "transformer." prefix; bare GPT2Model files lack it
                    String key = name.startsWith("transformer.") || name.startsWith("lm_head.") ? name
                            : "transformer." + name;
                    source.put(key, st.view(name, Backends.defaultBackend()));
                }
            }
            try {
                model.load(source, true);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
            }
        }
        model.eval(); // as Hugging Face's from_pretrained: dropout off until training asks for it
        return model;
    }

    /**
     * Writes config.json and model.safetensors (with {"format": "pt"}, the tied lm_head.weight not stored, as
     * HF's save_pretrained does), each atomically.
     */
    public static void save(GPT2LMHeadModel model, Path dir) {
        Checkpoints.save(dir, model.config.toJson(), model.namedParameters());
    }
}
