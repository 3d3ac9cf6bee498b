package dev.t4j.cli;

import dev.t4j.bert.BertClassification;
import dev.t4j.data.Rows;
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
        List<Map<String, String>> rows = Rows.read(file);
        List<BertClassification.Example> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, String> row = rows.get(i);
            String where = file + " row " + (i + 1);
            String text = Rows.column(row, textCol, file, i, "--text-column");
            String pair = pairCol == null ? null : Rows.column(row, pairCol, file, i, "--pair-column");
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
        return out;
    }
}
