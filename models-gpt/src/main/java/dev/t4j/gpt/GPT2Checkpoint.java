package dev.t4j.gpt;

import dev.t4j.model.Checkpoints;
import dev.t4j.tensor.Generator;
import java.nio.file.Path;
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
        // HF saves GPT2LMHeadModel keys with the "transformer." prefix; bare GPT2Model files lack it
        Checkpoints.load(model, dir, name -> isBuffer(name) ? null
                : name.startsWith("transformer.") || name.startsWith("lm_head.") ? name : "transformer." + name);
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
