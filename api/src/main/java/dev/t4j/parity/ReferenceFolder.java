package dev.t4j.parity;

import dev.t4j.json.Json;
import dev.t4j.nn.Module;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A folder in the hf-reference layout: config.json, model.safetensors, expected.json (inputs, scalars,
 * tolerance, tensor index) and expected.bin (the expected tensors, float32 or int32, little-endian).
 */
public final class ReferenceFolder {
    private final Path dir;
    private final Map<String, Object> expected;
    private final byte[] bin;

    public ReferenceFolder(Path dir) {
        this.dir = dir;
        Path json = dir.resolve("expected.json");
        try {
            this.expected = Json.parseObject(Files.readString(json), json.toString());
            this.bin = Files.readAllBytes(dir.resolve(String.valueOf(expected.getOrDefault("tensor_file", "expected.bin"))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the reference folder " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Map<String, Object> expected() {
        return expected;
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> section(String key) {
        Object v = expected.get(key);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException(dir.resolve("expected.json") + ": no '" + key + "' object");
        }
        return (Map<String, Object>) v;
    }

    public double tolerance(String key) {
        return ((Number) section("tolerance").get(key)).doubleValue();
    }

    /** Names of the expected tensors, in file order. */
    public List<String> tensorNames() {
        return new ArrayList<>(section("tensors").keySet());
    }

    @SuppressWarnings("unchecked")
    public Tensor tensor(String name) {
        Map<String, Object> info = (Map<String, Object>) section("tensors").get(name);
        if (info == null) {
            throw new IllegalArgumentException("expected.json lists no tensor '" + name + "'");
        }
        List<Object> shapeList = (List<Object>) info.get("shape");
        int[] shape = new int[shapeList.size()];
        int n = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = ((Number) shapeList.get(i)).intValue();
            n *= shape[i];
        }
        int offset = ((Number) info.get("offset")).intValue();
        ByteBuffer b = ByteBuffer.wrap(bin, offset, n * 4).order(ByteOrder.LITTLE_ENDIAN);
        if ("int32".equals(info.get("dtype"))) {
            int[] v = new int[n];
            b.asIntBuffer().get(v);
            return Tensor.of(v, shape);
        }
        float[] v = new float[n];
        b.asFloatBuffer().get(v);
        return Tensor.upload(dev.t4j.backend.Backends.defaultBackend(), dev.t4j.tensor.DType.F32,
                MemorySegment.ofArray(v), n, shape);
    }

    /** The integer input {@code name} of expected.json's "inputs" as an int64 tensor, or null when it has none. */
    @SuppressWarnings("unchecked")
    public static Tensor input(Map<String, Object> expected, String name) {
        Object value = ((Map<String, Object>) expected.get("inputs")).get(name);
        return value == null ? null : longs(value);
    }

    /** Puts {@code tensors} under the reference's numbered names: {@code prefix.0}, {@code prefix.1}, ... */
    public static void putNumbered(Map<String, Tensor> out, String prefix, List<Tensor> tensors) {
        for (int i = 0; i < tensors.size(); i++) {
            out.put(prefix + "." + i, tensors.get(i));
        }
    }

    /** Puts every parameter's gradient under {@code grad/<parameter name>}. */
    public static void putGradients(Map<String, Tensor> out, Module model) {
        model.namedParameters().forEach((name, p) -> out.put("grad/" + name, p.grad()));
    }

    /** An integer input ([B][T] or [B]) as an int64 tensor. */
    @SuppressWarnings("unchecked")
    public static Tensor longs(Object nested) {
        List<Object> rows = (List<Object>) nested;
        if (!rows.isEmpty() && rows.get(0) instanceof List) {
            int b = rows.size();
            int t = ((List<Object>) rows.get(0)).size();
            long[] v = new long[b * t];
            for (int i = 0; i < b; i++) {
                List<Object> row = (List<Object>) rows.get(i);
                if (row.size() != t) {
                    throw new IllegalArgumentException("ragged input: row " + i + " has " + row.size() + " ids, not " + t);
                }
                for (int j = 0; j < t; j++) {
                    v[i * t + j] = ((Number) row.get(j)).longValue();
                }
            }
            return Tensor.of(v, b, t);
        }
        long[] v = new long[rows.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((Number) rows.get(i)).longValue();
        }
        return Tensor.of(v, v.length);
    }

    /** The inputs object of expected.json. */
    public Map<String, Object> inputs() {
        return new LinkedHashMap<>(section("inputs"));
    }
}
