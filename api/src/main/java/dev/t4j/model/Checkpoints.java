package dev.t4j.model;

import dev.t4j.io.AtomicFile;
import dev.t4j.json.Json;
import dev.t4j.nn.Module;
import dev.t4j.safetensors.CheckpointFiles;
import dev.t4j.safetensors.SafeTensors;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

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
     * The tensors of an open checkpoint under the model's names: {@code keyOf} maps each stored name to the
     * parameter name it fills, or to null for a tensor the model does not load (a buffer, another class's head).
     * The tensors are views of the mapped files, valid while {@code files} is open.
     */
    public static Map<String, Tensor> tensors(CheckpointFiles files, UnaryOperator<String> keyOf) {
        Map<String, Tensor> source = new LinkedHashMap<>();
        for (String name : files.names()) {
            String key = keyOf.apply(name);
            if (key != null) {
                source.put(key, files.view(name));
            }
        }
        return source;
    }

    /**
     * Fills every parameter of {@code model} from dir's safetensors files, names mapped by {@code keyOf} as in
     * {@link #tensors}; a tied parameter is filled through any of its names. A parameter the files lack, a tensor
     * the model lacks, or a shape that differs is an error naming {@code dir} and the tensor.
     */
    public static void load(Module model, Path dir, UnaryOperator<String> keyOf) {
        try (CheckpointFiles files = CheckpointFiles.open(dir)) {
            Map<String, Tensor> source = tensors(files, keyOf);
            try {
                model.load(source, true);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Writes config.json and model.safetensors ({"format": "pt"}, each tensor once: tied copies are not named twice
     * by {@code tensors}), each atomically (temporary file, then rename).
     */
    public static void save(Path dir, Map<String, Object> config, Map<String, Tensor> tensors) {
        AtomicFile.writeString(dir.resolve("config.json"), Json.writePretty(config));
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }
}
