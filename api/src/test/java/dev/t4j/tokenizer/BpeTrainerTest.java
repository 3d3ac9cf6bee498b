package dev.t4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    @Test
    void trainsAByteLevelBpeThatHuggingFaceLoadsAndAgreesWith(@TempDir Path dir) throws Exception {
        String text = Files.readString(TokenizerExactnessTest.ROOT.resolve("data/corpora/tinyshakespeare/input.txt"));
        BpeTrainer.Result r = BpeTrainer.train(text, 1024, List.of("<|endoftext|>"));
        assertThat(r.vocab()).hasSize(1024);
        assertThat(r.merges()).hasSize(1024 - 256 - 1);
        Tokenizer tok = r.tokenizer();
        String sample = text.substring(0, 2000);
        int[] ids = tok.encode(sample).ids();
        assertThat(ids.length).as("compresses: fewer tokens than bytes").isLessThan(2000 / 2);
        assertThat(tok.decode(ids, false)).isEqualTo(sample);
        assertThat(tok.encode("ROMEO:<|endoftext|>").ids()).endsWith(1023);
        Path file = dir.resolve("tokenizer.json");
        r.write(file);
        assertThat(Tokenizer.load(file).encode(sample).ids()).containsExactly(ids);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "true"))) {
            for (String line : text.substring(0, 20000).split("\n")) {
                assertThat(Arrays.stream(hf.encode(line).getIds()).mapToInt(l -> (int) l).toArray()).as(line)
                        .containsExactly(tok.encode(line).ids());
            }
        }
        // the same corpus gives the same tokenizer
        assertThat(BpeTrainer.train(text, 1024, List.of("<|endoftext|>")).merges().get(500))
                .containsExactly(r.merges().get(500));
    }

    @Test
    void refusesVocabulariesSmallerThanTheByteAlphabet() {
        assertThatThrownBy(() -> BpeTrainer.train("abc", 100, List.of())).hasMessageContaining("at least 256");
    }
}
