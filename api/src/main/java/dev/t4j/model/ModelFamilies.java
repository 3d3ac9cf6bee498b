package dev.t4j.model;

import dev.t4j.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** The model families on the classpath, and which one reads a given checkpoint folder. */
public final class ModelFamilies {
    private ModelFamilies() {}

    public static List<ModelFamily> all() {
        List<ModelFamily> out = new ArrayList<>();
        ServiceLoader.load(ModelFamily.class).forEach(out::add);
        return out;
    }

    /** The family for a name ({@code gpt}) or a model_type ({@code gpt2}); a clear error when none matches. */
    public static ModelFamily forName(String nameOrType) {
        for (ModelFamily f : all()) {
            if (f.name().equals(nameOrType) || f.modelTypes().contains(nameOrType)) {
                return f;
            }
        }
        List<String> known = new ArrayList<>();
        for (ModelFamily f : all()) {
            known.add(f.name() + " " + f.modelTypes());
        }
        throw new IllegalArgumentException("no model family handles '" + nameOrType + "'; on the classpath: "
                + (known.isEmpty() ? "none" : String.join(", ", known)));
    }

    /** Reads {@code dir/config.json} and returns its parsed content. */
    public static Map<String, Object> config(Path dir) {
        Path file = dir.resolve("config.json");
        try {
            return Json.parseObject(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The family for a checkpoint folder, by its config's model_type. */
    public static ModelFamily forCheckpoint(Path dir) {
        Object type = config(dir).get("model_type");
        if (!(type instanceof String t)) {
            throw new IllegalArgumentException(dir.resolve("config.json") + " has no model_type");
        }
        return forName(t);
    }
}
