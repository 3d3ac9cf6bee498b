package dev.t4j.metrics;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Metrics as JSON Lines, one object per event ({"step": 10, "split": "train", "loss": 2.31, ...}), flushed at
 * each line so a crashed run keeps what it logged. Also kept in memory for the end-of-run plot.
 */
public final class MetricsLog implements AutoCloseable {
    private final BufferedWriter writer;
    private final List<Map<String, Object>> rows = new ArrayList<>();

    public MetricsLog(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Logs one event; values are numbers or strings. */
    public void log(Map<String, ?> values) {
        Map<String, Object> row = new LinkedHashMap<>(values);
        rows.add(row);
        StringBuilder sb = new StringBuilder("{");
        for (var e : row.entrySet()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append('"').append(escape(e.getKey())).append("\": ");
            Object v = e.getValue();
            if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
                sb.append("null");
            } else if (v instanceof Number n) {
                sb.append(n instanceof Double || n instanceof Float ? String.format(Locale.ROOT, "%.6g", n.doubleValue())
                        : n.toString());
            } else {
                sb.append('"').append(escape(String.valueOf(v))).append('"');
            }
        }
        try {
            writer.write(sb.append('}').append('\n').toString());
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics: " + e.getMessage(), e);
        }
    }

    public List<Map<String, Object>> rows() {
        return rows;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
