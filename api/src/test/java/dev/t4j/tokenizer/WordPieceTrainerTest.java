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

class WordPieceTrainerTest {
    @Test
    void trainsAWordPieceVocabularyThatHuggingFaceLoadsAndAgreesWith(@TempDir Path dir) throws Exception {
        List<String> lines = Files.readAllLines(TokenizerExactnessTest.ROOT.resolve(
                "data/corpora/wikitext-2-raw/wiki.test.raw")).stream().filter(l -> !l.isBlank()).limit(2000).toList();
        WordPieceTrainer.Result r = WordPieceTrainer.train(lines.subList(0, 1500), 3000, true);
        assertThat(r.vocab()).hasSize(3000).startsWith("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
        assertThat(r.vocab()).contains("the", "##s", "##ing");
        Tokenizer tok = r.tokenizer();
        Encoding e = tok.encode("The Tower is tall.");
        assertThat(e.ids()[0]).isEqualTo(2);
        assertThat(e.ids()[e.ids().length - 1]).isEqualTo(3);
        assertThat(tok.decode(e.ids(), true)).isEqualTo("the tower is tall.");
        String sample = String.join(" ", lines.subList(0, 20));
        int[] ids = tok.encode(sample, null, false).ids();
        assertThat(ids.length).as("whole words and pieces, far fewer than characters").isLessThan(sample.length() / 3);
        assertThat(Arrays.stream(ids).filter(i -> i == 1).count()).as("no [UNK] on the training text").isZero();
        assertThat(tok.encode("京").tokens()).containsExactly("[CLS]", "[UNK]", "[SEP]"); // a character it never saw

        Path file = dir.resolve("tokenizer.json");
        r.write(file);
        assertThat(Tokenizer.load(file).encode(sample).ids()).containsExactly(tok.encode(sample).ids());
        assertThat(TokenizerJson.bertVocab(dir.resolve("vocab.txt")).encode(sample).ids())
                .containsExactly(tok.encode(sample).ids());
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"))) {
            for (String line : lines.subList(1500, 2000)) { // text it was not trained on 
                int[] h = Arrays.stream(hf.encode(line).getIds()).mapToInt(l -> (int) l).toArray();
                int[] t = tok.encode(line).ids();
                assertThat(h).as(line).containsExactly(t);
            }
            assertThat(Arrays.stream(hf.encode("Zürich café ünïcode 東京").getIds()).mapToInt(l -> (int) l).toArray())
                    .containsExactly(tok.encode("Zürich café ünïcode 東京").ids());
        }
        assertThat(WordPieceTrainer.train(lines.subList(0, 1500), 3000, true).vocab()).isEqualTo(r.vocab()); // deterministic
    }

    @Test
    void aVocabularySmallerThanTheAlphabetIsRefused() {
        assertThatThrownBy(() -> WordPieceTrainer.train(List.of("abc def ghi"), 8, true))
                .hasMessageContaining("needs at least");
    }
}
