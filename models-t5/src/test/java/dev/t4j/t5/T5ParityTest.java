package dev.t4j.t5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.parity.ParityCheck;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** T5 against Hugging Face's numbers: logits, loss, both stacks' hidden states, every gradient, bucket tables. */
class T5ParityTest {
    @Test
    void matchesTheHuggingFaceReference() {
        Path dir = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/t5");
        var checks = ParityCheck.run(dir);
        checks.forEach(System.out::println);
        assertThat(checks).hasSizeGreaterThan(30);
        assertThat(checks).allSatisfy(c -> assertThat(c.passed()).as(c.toString()).isTrue());
    }
}
