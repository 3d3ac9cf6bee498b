package dev.t4j.cli;

import dev.t4j.hub.Hub;
import dev.t4j.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where --model points: a local folder, or a Hub id ("org/name", optionally "org/name@revision") resolved through the
 * Hugging Face cache and downloaded when missing (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_HUB_OFFLINE honoured).
 */
final class ModelLocation {
    private ModelLocation() {}

    private static final List<String> OPTIONAL = List.of("model.safetensors", "model.safetensors.index.json",
            "generation_config.json", "tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "spiece.model");

    static Path resolve(String model) {
        Path local = Path.of(model);
        if (Files.isDirectory(local)) {
            return local;
        }
        String id = model;
        String revision = "main";
        int at = model.indexOf('@');
        if (at > 0) {
            id = model.substring(0, at);
            revision = model.substring(at + 1);
        }
        if (!Hub.isRepoId(id)) {
            throw new IllegalArgumentException(model + " is neither a folder nor a Hub id of the form org/name");
        }
        Hub hub = new Hub(System.getenv());
        Path snap;
        try {
            snap = hub.snapshot(id, revision, List.of("config.json"), OPTIONAL);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("there is no folder '" + model + "' here, and fetching it as the Hub id '"
                    + id + "' failed: " + e.getMessage(), e);
        }
        Path index = snap.resolve("model.safetensors.index.json");
        if (!Files.exists(snap.resolve("model.safetensors")) && Files.exists(index)) {
            try {
                Map<String, Object> json = Json.parseObject(Files.readString(index), index.toString());
                Set<String> shards = new LinkedHashSet<>();
                if (json.get("weight_map") instanceof Map<?, ?> m) {
                    m.values().forEach(v -> shards.add(String.valueOf(v)));
                }
                snap = hub.snapshot(id, revision, new ArrayList<>(shards), List.of());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + index + ": " + e.getMessage(), e);
            }
        }
        return snap;
    }
}
