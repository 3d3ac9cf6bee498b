package dev.t4j.bert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.parity.ParityCheck;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** BERT (masked LM and classification) against Hugging Face's numbers: logits, loss, hidden states, every gradient. */
class BertParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"bert-mlm", "bert-cls"})
    void matchesTheHuggingFaceReference(String folder) {
        Path dir = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference", folder);
        var checks = ParityCheck.run(dir);
        checks.forEach(System.out::println);
        assertThat(checks).hasSizeGreaterThan(30);
        assertThat(checks).allSatisfy(c -> assertThat(c.passed()).as(c.toString()).isTrue());
    }
}
