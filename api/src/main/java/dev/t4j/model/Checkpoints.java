package dev.t4j.model;

import dev.t4j.json.Json;
import dev.t4j.safetensors.SafeTensors;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** Hugging Face checkpoint folders: config.json + model.safetensors, read with a type check, written atomically. */
public final class Checkpoints {
    private Checkpoints() {}

    /** dir/config.json, which must name {@code modelType}; the error says what the folder holds instead. */
    public static Map<String, Object> config(Path dir, String modelType, String what) {
        Map<String, Object> json = ModelFamilies.config(dir);
        Object type = json.get("model_type");
        if (!modelType.equals(type)) {
            throw new IllegalArgumentException(dir.resolve("config.json") + " describes a '" + type + "' model, not "
                    + what + " (model_type " + modelType + ")");
        }
        return json;
    }

    /**
     * Writes config.json and model.safetensors ({"format": "pt"}, each tensor once: tied copies are not named twice
     * by {@code tensors}), each atomically (temporary file, then rename).
     */
    public static void save(Path dir, Map<String, Object> config, Map<String, Tensor> tensors) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve("config.json.tmp");
            Files.writeString(tmp, Json.writePretty(config));
            Files.move(tmp, dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("config.json") + ": " + e.getMessage(), e);
        }
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }
}
