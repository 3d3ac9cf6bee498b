package dev.t4j.data;

import dev.t4j.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The records of a data file as column name -> value maps, whatever its format: JSON Lines ({@code .jsonl}, one
 * object per line), CSV ({@code .csv}) or TSV (anything else), the latter two with a header row. What a user passes
 * as {@code --train}/{@code --dev}.
 */
public final class Rows {
    private Rows() {}

    public static List<Map<String, String>> read(Path file) {
        String name = file.getFileName().toString();
        List<Map<String, String>> rows = new ArrayList<>();
        if (name.endsWith(".jsonl")) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
            for (int n = 1; n <= lines.size(); n++) {
                if (lines.get(n - 1).isBlank()) {
                    continue;
                }
                Map<String, Object> obj = Json.parseObject(lines.get(n - 1), file + " line " + n);
                Map<String, String> row = new LinkedHashMap<>();
                obj.forEach((k, v) -> row.put(k, v == null ? null : String.valueOf(v)));
                rows.add(row);
            }
        } else {
            List<List<String>> table = name.endsWith(".csv") ? Csv.readCsv(file) : Csv.readTsv(file);
            List<String> header = table.getFirst();
            for (List<String> r : table.subList(1, table.size())) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), r.get(i));
                }
                rows.add(row);
            }
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(file + ": no records");
        }
        return rows;
    }

    /** The value of {@code column} in row {@code index} (0-based, header excluded), or an error naming the file, row and columns. */
    public static String column(Map<String, String> row, String column, Path file, int index, String option) {
        String v = row.get(column);
        if (v == null) {
            throw new IllegalArgumentException(file + " row " + (index + 1) + ": no '" + column + "' column (columns: "
                    + row.keySet() + ")" + (option == null ? "" : "; pick one with " + option));
        }
        return v;
    }
}
