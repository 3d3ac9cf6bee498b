package dev.t4j.safetensors;

import dev.t4j.backend.Backend;
import dev.t4j.backend.Backends;
import dev.t4j.io.AtomicFile;
import dev.t4j.json.Json;
import dev.t4j.json.JsonException;
import dev.t4j.memory.HostStorage;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file (8-byte little-endian header length, a JSON header, then the raw tensor bytes), memory-mapped
 * through FFM: nothing is copied onto the Java heap, and {@link #view} gives a tensor over the mapped bytes
 * themselves. The header is validated on open (offsets in range and without overlap, sizes matching dtype x
 * shape) with errors naming the file and the tensor. Close the file when its views are no longer used.
 */
public final class SafeTensors implements AutoCloseable {
    /** One tensor's header entry; begin and end are byte offsets into the data section. */
    public record Entry(String name, DType dtype, int[] shape, long begin, long end) {}

    private static final long MAX_HEADER = 100L << 20;

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Arena arena, MemorySegment data, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafeTensors open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafeTensorsException(file + ": " + size + " bytes is too short for a safetensors file");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new SafeTensorsException(file + ": header length " + headerLen + " is impossible for a file of "
                        + size + " bytes (truncated or not a safetensors file)");
            }
            String header = new String(all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            Map<String, Object> json;
            try {
                json = Json.parseObject(header, file + " (header)");
            } catch (JsonException e) {
                throw new SafeTensorsException(e.getMessage());
            }
            MemorySegment data = all.asSlice(8 + headerLen);
            var parsed = parseHeader(file, json, data.byteSize());
            return new SafeTensors(file, arena, data, parsed.entries, parsed.metadata);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private record Header(Map<String, Entry> entries, Map<String, String> metadata) {}

    @SuppressWarnings("unchecked")
    private static Header parseHeader(Path file, Map<String, Object> json, long dataBytes) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (var e : json.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    throw new SafeTensorsException(file + ": __metadata__ must be an object of strings");
                }
                m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                continue;
            }
            String where = file + ": tensor '" + name + "'";
            if (!(e.getValue() instanceof Map<?, ?> raw)) {
                throw new SafeTensorsException(where + ": header entry is not an object");
            }
            Map<String, Object> t = (Map<String, Object>) raw;
            DType dtype = dtype(where, t.get("dtype"));
            int[] shape = ints(where, "shape", t.get("shape"), -1);
            long[] offsets = longs(where, t.get("data_offsets"));
            long numel = 1;
            for (int d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            if (offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataBytes) {
                throw new SafeTensorsException(where + ": data_offsets [" + offsets[0] + ", " + offsets[1]
                        + "] outside the data section of " + dataBytes + " bytes");
            }
            if (offsets[1] - offsets[0] != numel * dtype.byteSize()) {
                throw new SafeTensorsException(where + ": " + (offsets[1] - offsets[0]) + " bytes for shape "
                        + java.util.Arrays.toString(shape) + " of " + dtype + " (expected " + numel * dtype.byteSize()
                        + ")");
            }
            entries.put(name, new Entry(name, dtype, shape, offsets[0], offsets[1]));
        }
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1);
            Entry cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new SafeTensorsException(file + ": tensors '" + prev.name() + "' and '" + cur.name()
                        + "' overlap in the data section");
            }
        }
        return new Header(entries, metadata);
    }

    private static DType dtype(String where, Object v) {
        if (!(v instanceof String s)) {
            throw new SafeTensorsException(where + ": missing dtype");
        }
        return switch (s) {
            case "F32" -> DType.F32;
            case "F64" -> DType.F64;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I32" -> DType.I32;
            case "I64" -> DType.I64;
            case "BOOL" -> DType.BOOL;
            default -> throw new SafeTensorsException(where + ": dtype " + s + " is not supported (F32, F64, F16, BF16, "
                    + "I32, I64, BOOL are)");
        };
    }

    private static int[] ints(String where, String field, Object v, int unused) {
        if (!(v instanceof List<?> l)) {
            throw new SafeTensorsException(where + ": missing " + field);
        }
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) {
                throw new SafeTensorsException(where + ": " + field + " has a bad size " + l.get(i));
            }
            out[i] = n.intValue();
        }
        return out;
    }

    private static long[] longs(String where, Object v) {
        if (!(v instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof Long a) || !(l.get(1) instanceof Long b)) {
            throw new SafeTensorsException(where + ": data_offsets must be two integers");
        }
        return new long[] {a, b};
    }

    public Path file() {
        return file;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    public Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }

    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new SafeTensorsException(file + ": no tensor named '" + name + "'");
        }
        return e;
    }

    /**
     * A read-only tensor over the mapped bytes (no copy), on {@link Backends#host()}; valid until this file is closed.
     * Copying it into a device tensor ({@code copy_}) moves it there.
     */
    public Tensor view(String name) {
        Entry e = entry(name);
        MemorySegment bytes = data.asSlice(e.begin(), e.end() - e.begin());
        return Tensor.fromStorage(Backends.host(), HostStorage.wrap(bytes), e.dtype(), 0, e.shape());
    }

    /** A writable copy of a tensor on {@code backend}, in the current scope. */
    public Tensor load(String name, Backend backend) {
        Entry e = entry(name);
        long numel = (e.end() - e.begin()) / e.dtype().byteSize();
        return Tensor.upload(backend, e.dtype(), data.asSlice(e.begin(), e.end() - e.begin()), numel, e.shape());
    }

    public Tensor load(String name) {
        return load(name, Backends.defaultBackend());
    }

    @Override
    public void close() {
        arena.close();
    }

    // ------------------------------------------------------------------------------------------ writing

    /**
     * Writes {@code tensors} (in the given order) with {@code __metadata__} (Hugging Face expects
     * {"format": "pt"}) atomically: to a temporary file beside the target, then renamed over it, so a failure
     * never leaves a half-written checkpoint where a good one was.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        List<Tensor> ordered = new ArrayList<>();
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue().contiguous();
            long bytes = t.numel() * t.dtype().byteSize();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype().safetensorsName());
            List<Object> shape = new ArrayList<>();
            for (int d : t.shape()) {
                shape.add((long) d);
            }
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), entry);
            ordered.add(t);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        long total = 8 + padded + offset;
        AtomicFile.write(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
                MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
                out.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, padded);
                MemorySegment.copy(MemorySegment.ofArray(json), 0, out, 8, json.length);
                out.asSlice(8 + json.length, padded - json.length).fill((byte) ' ');
                long at = 8 + padded;
                for (Tensor t : ordered) {
                    long bytes = t.numel() * t.dtype().byteSize();
                    if (bytes > 0) {
                        t.backend().download(t, out.asSlice(at, bytes));
                    }
                    at += bytes;
                }
                out.force();
            }
        });
    }
}
