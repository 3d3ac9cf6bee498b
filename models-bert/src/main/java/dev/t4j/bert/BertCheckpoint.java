package dev.t4j.bert;

import dev.t4j.backend.Backends;
import dev.t4j.json.Json;
import dev.t4j.model.ModelFamilies;
import dev.t4j.nn.Module;
import dev.t4j.safetensors.SafeTensors;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Loads and saves BERT checkpoints in Hugging Face's folder layout (config.json + model.safetensors). */
public final class BertCheckpoint {
    private BertCheckpoint() {}

    public static BertConfig config(Path dir) {
        Map<String, Object> json = ModelFamilies.config(dir);
        Object type = json.get("model_type");
        if (!"bert".equals(type)) {
            throw new IllegalArgumentException(dir.resolve("config.json") + " describes a '" + type
                    + "' model, not BERT (model_type bert)");
        }
        return BertConfig.fromJson(json);
    }

    public static BertForMaskedLM loadMaskedLM(Path dir) {
        BertForMaskedLM model = new BertForMaskedLM(config(dir), new Generator(0));
        load(model, dir, List.of("cls.seq_relationship.", "bert.pooler."));
        return model;
    }

    public static BertForSequenceClassification loadSequenceClassification(Path dir) {
        BertForSequenceClassification model = new BertForSequenceClassification(config(dir), new Generator(0));
        load(model, dir, List.of("cls."));
        return model;
    }

    /**
     * Fills {@code model} from dir/model.safetensors. Keys of a bare BertModel get the "bert." prefix; buffers
     * (position_ids) and the heads of other BERT classes listed in {@code otherHeads} are skipped; anything else
     * missing or unexpected is an error naming it.
     */
    static void load(Module model, Path dir, List<String> otherHeads) {
        Path weights = dir.resolve("model.safetensors");
        try (SafeTensors st = SafeTensors.open(weights)) {
            Map<String, Tensor> source = new LinkedHashMap<>();
            boolean bare = st.names().stream().noneMatch(n -> n.startsWith("bert."));
            for (String name : st.names()) {
                String key = bare && !name.startsWith("cls.") && !name.startsWith("classifier.") ? "bert." + name : name;
                if (key.endsWith("position_ids") || otherHeads.stream().anyMatch(key::startsWith)) {
                    continue;
                }
                source.put(key, st.view(name, Backends.defaultBackend()));
            }
            try {
                model.load(source, true);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(weights + ": " + e.getMessage(), e);
            }
        }
    }

    /** config.json and model.safetensors (tied decoder weights not stored, {"format": "pt"}), each atomically. */
    public static void save(Module model, BertConfig config, String architecture, Path dir) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve("config.json.tmp");
            Files.writeString(tmp, Json.writePretty(config.toJson(architecture)));
            Files.move(tmp, dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("config.json") + ": " + e.getMessage(), e);
        }
        SafeTensors.write(dir.resolve("model.safetensors"), model.namedParameters(), Map.of("format", "pt"));
    }
}
