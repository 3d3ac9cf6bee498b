package dev.t4j.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.safetensors.CheckpointFiles;
import dev.t4j.safetensors.SafeTensors;
import dev.t4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertCheckpointTest {
    static final Path FIXTURE = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/bert-mlm");

    /** A bare BertModel file names its encoder without "bert."; the heads' names stay as they are. */
    @Test
    void aBareEncoderFileLoadsAsTheHeadedOne(@TempDir Path dir) throws Exception {
        copyRenamed(dir, name -> name.startsWith("bert.") ? name.substring("bert.".length()) : name);
        try (Scope s = Scope.open("test"); var g = GradMode.noGrad()) {
            Tensor ids = Tensor.of(new long[] {2, 17, 404, 3}, 1, 4);
            float[] expected = BertCheckpoint.loadMaskedLM(FIXTURE).forward(ids, null, null, null).toFloatArray();
            float[] actual = BertCheckpoint.loadMaskedLM(dir).forward(ids, null, null, null).toFloatArray();
            assertThat(actual).containsExactly(expected);
        }
    }

    @Test
    void aStrayTensorIsAnErrorNamingTheFolderAndTheTensor(@TempDir Path dir) throws Exception {
        copyRenamed(dir, name -> name.equals("cls.predictions.bias") ? "cls.predictions.extra" : name);
        try (Scope s = Scope.open("test")) {
            assertThatThrownBy(() -> BertCheckpoint.loadMaskedLM(dir))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining("cls.predictions.extra");
        }
    }

    private static void copyRenamed(Path dir, UnaryOperator<String> rename) throws Exception {
        Files.copy(FIXTURE.resolve("config.json"), dir.resolve("config.json"));
        try (CheckpointFiles st = CheckpointFiles.open(FIXTURE)) {
            Map<String, Tensor> renamed = new LinkedHashMap<>();
            for (String name : st.names()) {
                renamed.put(rename.apply(name), st.view(name));
            }
            SafeTensors.write(dir.resolve("model.safetensors"), renamed, Map.of("format", "pt"));
        }
    }
}
