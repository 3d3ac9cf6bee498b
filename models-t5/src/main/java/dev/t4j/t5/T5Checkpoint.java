package dev.t4j.t5;

import dev.t4j.model.Checkpoints;
import dev.t4j.tensor.Generator;
import java.nio.file.Path;
import java.util.Map;

/** Loads and saves T5ForConditionalGeneration checkpoints in Hugging Face's folder layout. */
public final class T5Checkpoint {
    private T5Checkpoint() {}

    public static T5ForConditionalGeneration load(Path dir) {
        Map<String, Object> json = Checkpoints.config(dir, "t5",
                "T5: an encoder-only or decoder-only checkpoint cannot be loaded as an encoder-decoder");
        T5ForConditionalGeneration model = new T5ForConditionalGeneration(T5Config.fromJson(json), new Generator(0));
        // HF files store the shared table once, under any of its tied names: Module.load fills it through any
        Checkpoints.load(model, dir, name -> name);
        model.eval(); // as Hugging Face's from_pretrained: dropout off until training asks for it
        return model;
    }

    /** config.json (with decoder_start_token_id) and model.safetensors (tied copies not stored), atomically. */
    public static void save(T5ForConditionalGeneration model, Path dir) {
        Checkpoints.save(dir, model.config.toJson(), model.namedParameters());
    }
}
