package dev.t4j.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GenerationConfigTest {
    @Test
    void readsHuggingFacesGenerationConfig() throws Exception {
        Path file = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/gpt2/generation_config.json");
        Map<String, Object> json = Json.parseObject(Files.readString(file), file.toString());
        GenerationConfig c = GenerationConfig.fromHuggingFace(json, GenerationConfig.greedy(20));
        assertThat(c.stopTokens()).containsExactly(999L); // the fixture's eos_token_id
        assertThat(c.maxNewTokens()).isEqualTo(20);
        GenerationConfig s = GenerationConfig.fromHuggingFace(Map.of("do_sample", true, "temperature", 0.7, "top_k", 40L,
                "top_p", 0.9, "eos_token_id", List.of(1L, 2L), "max_new_tokens", 64L), GenerationConfig.greedy(20));
        assertThat(s.doSample()).isTrue();
        assertThat(s.temperature()).isEqualTo(0.7);
        assertThat(s.topK()).isEqualTo(40);
        assertThat(s.topP()).isEqualTo(0.9);
        assertThat(s.maxNewTokens()).isEqualTo(64);
        assertThat(s.stopTokens()).containsExactly(1L, 2L);
    }
}
