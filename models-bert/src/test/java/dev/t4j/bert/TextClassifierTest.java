package dev.t4j.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.memory.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextClassifierTest {
    @Test
    void predictsALabelWithProbabilitiesNamedFromTheConfig(@TempDir Path dir) throws Exception {
        Path fixture = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/bert-cls");
        Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film"));
        while (vocab.size() < 1000) {
            vocab.add("w" + vocab.size());
        }
        Files.write(dir.resolve("vocab.txt"), vocab);
        try (Scope s = Scope.open("test")) {
            TextClassifier classifier = new TextClassifier(dir);
            TextClassifier.Prediction p = classifier.predict("good film", null);
            assertThat(p.probabilities()).containsOnlyKeys("LABEL_0", "LABEL_1", "LABEL_2");
            assertThat(p.probabilities().values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-5));
            double best = p.probabilities().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertThat(p.probabilities().get(p.label())).isEqualTo(best);
            assertThat(classifier.predict("bad film", "good").probabilities()).isNotEqualTo(p.probabilities());
        }
    }
}
