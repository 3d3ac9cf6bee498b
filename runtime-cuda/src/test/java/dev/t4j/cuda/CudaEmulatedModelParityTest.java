package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.parity.ParityCheck;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GPT-2, BERT and T5 against Hugging Face's numbers (logits, losses, every gradient, hidden states, generation)
 * through the CUDA backend, its kernels emulated on the CPU ({@link EmulatedDevice}): what `t4j parity` checks on a
 * GPU, minus the GPU's own arithmetic.
 */
class CudaEmulatedModelParityTest extends OnEmulatedCuda {
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "bert-mlm", "bert-cls", "t5"})
    void matchesTheHuggingFaceReference(String fixture) {
        var checks = ParityCheck.run(Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference", fixture));
        assertThat(checks).hasSizeGreaterThan(10);
        assertThat(checks).allSatisfy(c -> assertThat(c.passed()).as(c.toString()).isTrue());
    }
}
