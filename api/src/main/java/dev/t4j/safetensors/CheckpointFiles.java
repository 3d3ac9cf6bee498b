package dev.t4j.safetensors;

import dev.t4j.json.Json;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a Hugging Face model folder: model.safetensors, or the shards listed by
 * model.safetensors.index.json ("weight_map": tensor name -> shard file), each memory-mapped. A tensor the index
 * names but its shard lacks, or a shard outside the folder, is an error naming both.
 */
public final class CheckpointFiles implements AutoCloseable {
    private final Map<String, SafeTensors> byTensor = new LinkedHashMap<>();
    private final List<SafeTensors> files = new ArrayList<>();

    private CheckpointFiles() {}

    public static CheckpointFiles open(Path dir) {
        CheckpointFiles c = new CheckpointFiles();
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        try {
            if (Files.isRegularFile(single)) {
                SafeTensors st = SafeTensors.open(single);
                c.files.add(st);
                st.names().forEach(n -> c.byTensor.put(n, st));
            } else if (Files.isRegularFile(index)) {
                Map<String, Object> json = Json.parseObject(Files.readString(index), index.toString());
                if (!(json.get("weight_map") instanceof Map<?, ?> map)) {
                    throw new SafeTensorsException(index + ": no \"weight_map\" object");
                }
                Map<String, SafeTensors> shards = new LinkedHashMap<>();
                for (var e : map.entrySet()) {
                    String shard = String.valueOf(e.getValue());
                    Path file = dir.resolve(shard).normalize();
                    if (!file.startsWith(dir.normalize())) {
                        throw new SafeTensorsException(index + ": shard '" + shard + "' is outside " + dir);
                    }
                    SafeTensors st = shards.computeIfAbsent(shard, s -> {
                        SafeTensors opened = SafeTensors.open(file);
                        c.files.add(opened);
                        return opened;
                    });
                    String name = String.valueOf(e.getKey());
                    if (!st.entries().containsKey(name)) {
                        throw new SafeTensorsException(index + " places '" + name + "' in " + shard + ", which lacks it");
                    }
                    c.byTensor.put(name, st);
                }
            } else {
                throw new SafeTensorsException(dir + ": neither model.safetensors nor model.safetensors.index.json here");
            }
        } catch (IOException e) {
            c.close();
            throw new UncheckedIOException("cannot read " + index + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public List<String> names() {
        return new ArrayList<>(byTensor.keySet());
    }

    public SafeTensors.Entry entry(String name) {
        return fileOf(name).entries().get(name);
    }

    /** A read-only view of the mapped bytes, as {@link SafeTensors#view}. */
    public Tensor view(String name) {
        return fileOf(name).view(name);
    }

    private SafeTensors fileOf(String name) {
        SafeTensors st = byTensor.get(name);
        if (st == null) {
            throw new SafeTensorsException("no tensor named '" + name + "' in the checkpoint");
        }
        return st;
    }

    @Override
    public void close() {
        for (SafeTensors st : files) {
            st.close();
        }
    }
}
