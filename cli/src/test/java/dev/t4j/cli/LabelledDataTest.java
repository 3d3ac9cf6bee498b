package dev.t4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledDataTest {
    @Test
    void readsTsvCsvAndJsonlWithNamedOrNumericLabels(@TempDir Path dir) throws Exception {
        Path tsv = dir.resolve("a.tsv");
        Files.writeString(tsv, "sentence\tlabel\ngood film\t1\nbad film\t0\n");
        Path csv = dir.resolve("b.csv");
        Files.writeString(csv, "premise,hypothesis,gold\n\"a, b\",c,entail\nd,e,contradict\nf,g,entail\n");
        Path jsonl = dir.resolve("c.jsonl");
        Files.writeString(jsonl, "{\"text\": \"fine\", \"label\": \"pos\"}\n{\"text\": \"meh\", \"label\": \"neg\"}\n");
        assertThat(LabelledData.read(tsv, "sentence", null, "label", new LinkedHashMap<>()))
                .extracting(e -> e.label()).containsExactly(1, 0);
        Map<String, Integer> ids = new LinkedHashMap<>();
        var pairs = LabelledData.read(csv, "premise", "hypothesis", "gold", ids);
        assertThat(pairs.getFirst().text()).isEqualTo("a, b");
        assertThat(pairs.getFirst().pair()).isEqualTo("c");
        assertThat(pairs).extracting(e -> e.label()).containsExactly(0, 1, 0);
        assertThat(ids).containsEntry("entail", 0).containsEntry("contradict", 1);
        assertThat(LabelledData.read(jsonl, "text", null, "label", new LinkedHashMap<>())).hasSize(2);
    }

    @Test
    void badRowsAreNamed(@TempDir Path dir) throws Exception {
        Path tsv = dir.resolve("bad.tsv");
        Files.writeString(tsv, "sentence\tlabel\ngood\t1\nno label\t\n");
        assertThatThrownBy(() -> LabelledData.read(tsv, "sentence", null, "label", new LinkedHashMap<>()))
                .hasMessageContaining("bad.tsv row 2: missing label");
        assertThatThrownBy(() -> LabelledData.read(tsv, "text", null, "label", new LinkedHashMap<>()))
                .hasMessageContaining("no 'text' column");
        Path ragged = dir.resolve("ragged.tsv");
        Files.writeString(ragged, "sentence\tlabel\ngood\t1\textra\n");
        assertThatThrownBy(() -> LabelledData.read(ragged, "sentence", null, "label", new LinkedHashMap<>()))
                .hasMessageContaining("row 1 has 3 fields");
    }
}
