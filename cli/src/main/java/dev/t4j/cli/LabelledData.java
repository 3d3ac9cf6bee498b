package dev.t4j.cli;

import dev.t4j.bert.BertClassification;
import dev.t4j.data.Csv;
import dev.t4j.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Labelled examples from TSV, CSV or JSONL files with named columns. Labels may be integers (used as they are) or
 * names (numbered in order of first appearance, shared between the train and dev files through {@code labelIds}).
 * A missing text or label names the file and row.
 */
final class LabelledData {
    private LabelledData() {}

    static List<BertClassification.Example> read(Path file, String textCol, String pairCol, String labelCol,
            Map<String, Integer> labelIds) {
        String name = file.getFileName().toString();
        List<Map<String, String>> rows = new ArrayList<>();
        if (name.endsWith(".jsonl")) {
            try {
                int n = 0;
                for (String line : Files.readAllLines(file)) {
                    n++;
                    if (line.isBlank()) {
                        continue;
                    }
                    Map<String, Object> obj = Json.parseObject(line, file + " line " + n);
                    Map<String, String> row = new java.util.LinkedHashMap<>();
                    obj.forEach((k, v) -> row.put(k, v == null ? null : String.valueOf(v)));
                    rows.add(row);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        } else {
            List<List<String>> table = name.endsWith(".csv") ? Csv.readCsv(file) : Csv.readTsv(file);
            List<String> header = table.getFirst();
            for (List<String> r : table.subList(1, table.size())) {
                Map<String, String> row = new java.util.LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), r.get(i));
                }
                rows.add(row);
            }
        }
        List<BertClassification.Example> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, String> row = rows.get(i);
            String where = file + " row " + (i + 1);
            String text = row.get(textCol);
            if (text == null) {
                throw new IllegalArgumentException(where + ": no '" + textCol + "' column (columns: " + row.keySet()
                        + "); pick one with --text-column");
            }
            String pair = pairCol == null ? null : row.get(pairCol);
            if (pairCol != null && pair == null) {
                throw new IllegalArgumentException(where + ": no '" + pairCol + "' column");
            }
            String label = row.get(labelCol);
            if (label == null || label.isBlank()) {
                throw new IllegalArgumentException(where + ": missing label (column '" + labelCol + "')");
            }
            int id;
            try {
                id = Integer.parseInt(label.strip());
                labelIds.putIfAbsent(Integer.toString(id), id);
            } catch (NumberFormatException e) {
                id = labelIds.computeIfAbsent(label.strip(), k -> labelIds.size());
            }
            out.add(new BertClassification.Example(text, pair, id));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": no examples");
        }
        return out;
    }
}
