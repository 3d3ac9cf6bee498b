package dev.t4j.gpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.parity.ParityCheck;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** GPT-2 against Hugging Face's own numbers: logits, loss, every gradient, hidden states, greedy generation. */
class GptParityTest {
    @Test
    void matchesTheHuggingFaceReference() {
        Path dir = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/gpt2");
        var checks = ParityCheck.run(dir);
        checks.forEach(System.out::println);
        assertThat(checks).hasSizeGreaterThan(30);
        assertThat(checks).allSatisfy(c -> assertThat(c.passed()).as(c.toString()).isTrue());
    }
}
