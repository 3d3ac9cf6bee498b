package dev.t4j.t5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.safetensors.CheckpointFiles;
import dev.t4j.safetensors.SafeTensors;
import dev.t4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class T5CheckpointTest {
    /** Some HF files keep the shared table only under a tied name; loading must not depend on which one. */
    @Test
    void theSharedTableLoadsFromAnyOfItsTiedNames(@TempDir Path dir) throws Exception {
        Path fixture = T5GenerationTest.FIXTURE;
        Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
        try (CheckpointFiles st = CheckpointFiles.open(fixture)) {
            Map<String, Tensor> renamed = new LinkedHashMap<>();
            for (String name : st.names()) {
                String key = name.equals("shared.weight") ? "encoder.embed_tokens.weight" : name;
                renamed.put(key, st.view(name));
            }
            SafeTensors.write(dir.resolve("model.safetensors"), renamed, Map.of("format", "pt"));
        }
        try (Scope s = Scope.open("test"); var g = GradMode.noGrad()) {
            Tensor ids = Tensor.of(T5GenerationTest.INPUT, 1, T5GenerationTest.INPUT.length);
            Tensor decoder = Tensor.of(new long[] {0, 644, 708}, 1, 3);
            float[] expected = T5Checkpoint.load(fixture).forward(ids, null, decoder, null, null).logits().toFloatArray();
            float[] actual = T5Checkpoint.load(dir).forward(ids, null, decoder, null, null).logits().toFloatArray();
            assertThat(actual).containsExactly(expected);
        }
    }
}
