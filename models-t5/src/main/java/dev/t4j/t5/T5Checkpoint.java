package dev.t4j.t5;

import dev.t4j.backend.Backends;
import dev.t4j.model.Checkpoints;
import dev.t4j.safetensors.CheckpointFiles;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loads and saves T5ForConditionalGeneration checkpoints in Hugging Face's folder layout. */
public final class T5Checkpoint {
    private T5Checkpoint() {}

    public static T5ForConditionalGeneration load(Path dir) {
        Map<String, Object> json = Checkpoints.config(dir, "t5",
                "T5: an encoder-only or decoder-only checkpoint cannot be loaded as an encoder-decoder");
        T5ForConditionalGeneration model = new T5ForConditionalGeneration(T5Config.fromJson(json), new Generator(0));
        try (CheckpointFiles st = CheckpointFiles.open(dir)) {
            Map<String, Tensor> source = new LinkedHashMap<>();
            for (String name : st.names()) {
                source.put(name, st.view(name, Backends.defaultBackend()));
            }
            // HF files store the shared table once, under any of its tied names
            for (String alias : new String[] {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"}) {
                if (!source.containsKey("shared.weight") && source.containsKey(alias)) {
                    source.put("shared.weight", source.get(alias));
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

    /** config.json (with decoder_start_token_id) and model.safetensors (tied copies not stored), atomically. */
    public static void save(T5ForConditionalGeneration model, Path dir) {
        Checkpoints.save(dir, model.config.toJson(), model.namedParameters());
    }
}
