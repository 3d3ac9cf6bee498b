package dev.t4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 CSV (quoted fields may hold commas, quotes doubled, and newlines) and TSV (no quoting), read whole.
 * Rows with a field count different from the header's are an error naming the file and the row.
 */
public final class Csv {
    private Csv() {}

    /** The rows of a comma-separated file, header included as row 0. */
    public static List<List<String>> readCsv(Path file) {
        String text = read(file);
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                }
            } else if (c == '"' && field.isEmpty()) {
                quoted = true;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                row.add(field.toString());
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
                line++;
            } else {
                field.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException(file + ": a quoted field is not closed before the end of the file (line "
                    + line + ")");
        }
        if (!field.isEmpty() || !row.isEmpty()) {
            row.add(field.toString());
            rows.add(row);
        }
        checkWidth(file, rows);
        return rows;
    }

    /** The rows of a tab-separated file, header included as row 0. */
    public static List<List<String>> readTsv(Path file) {
        List<List<String>> rows = new ArrayList<>();
        for (String line : read(file).split("\r?\n", -1)) {
            if (!line.isEmpty()) {
                rows.add(List.of(line.split("\t", -1)));
            }
        }
        checkWidth(file, rows);
        return rows;
    }

    private static void checkWidth(Path file, List<List<String>> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(file + ": empty file, expected a header row");
        }
        int width = rows.getFirst().size();
        for (int r = 1; r < rows.size(); r++) {
            if (rows.get(r).size() != width) {
                throw new IllegalArgumentException(file + ": row " + r + " has " + rows.get(r).size() + " fields, the "
                        + "header has " + width);
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
