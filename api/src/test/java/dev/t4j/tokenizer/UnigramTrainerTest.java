package dev.t4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnigramTrainerTest {
    @Test
    void trainsAUnigramVocabularyThatHuggingFaceLoadsAndAgreesWith(@TempDir Path dir) throws Exception {
        List<String> lines = Files.readAllLines(TokenizerExactnessTest.ROOT.resolve(
                "data/corpora/wikitext-2-raw/wiki.test.raw")).stream().filter(l -> !l.isBlank()).map(String::strip)
                .limit(2000).toList();
        long t0 = System.nanoTime();
        UnigramTrainer.Result r = UnigramTrainer.train(lines.subList(0, 1500), 2000, 10);
        System.out.printf("unigram training: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(r.pieces()).hasSize(2000).startsWith("<pad>", "</s>", "<unk>").endsWith("<extra_id_1>", "<extra_id_0>");
        Tokenizer tok = r.tokenizer();
        assertThat(tok.tokenToId("<extra_id_0>")).isEqualTo(1999);
        assertThat(tok.tokenToId("<extra_id_9>")).isEqualTo(1990);
        String sample = String.join(" ", lines.subList(0, 20));
        int[] ids = tok.encode(sample).ids();
        assertThat(ids[ids.length - 1]).isEqualTo(1); // </s>
        assertThat(ids.length).as("pieces, far fewer than characters").isLessThan(sample.length() / 3);
        assertThat(Arrays.stream(ids).filter(i -> i == 2).count()).as("no <unk> on the training text").isZero();
        assertThat(tok.decode(ids, true)).isEqualTo(sample);
        assertThat(tok.encode("The <extra_id_3> tower").tokens()).contains("<extra_id_3>");

        Path file = dir.resolve("tokenizer.json");
        r.write(file);
        assertThat(Tokenizer.load(file).encode(sample).ids()).containsExactly(ids);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file,
                Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"))) {
            for (String line : lines.subList(1500, 2000)) { // text it was not trained on
                assertThat(Arrays.stream(hf.encode(line).getIds()).mapToInt(l -> (int) l).toArray()).as(line)
                        .containsExactly(tok.encode(line).ids());
            }
            String odd = "Zürich  café \u6771\u4eac ﬁ <extra_id_0>x";
            assertThat(Arrays.stream(hf.encode(odd).getIds()).mapToInt(l -> (int) l).toArray())
                    .containsExactly(tok.encode(odd).ids());
        }
    }

    @Test
    void piecesFollowSentencePieceDefaultRules() {
        assertThat(UnigramTrainer.compatible("\u2581the".codePoints().toArray(), 0, 4)).isTrue();
        assertThat(UnigramTrainer.compatible("\u25811990".codePoints().toArray(), 0, 5)).isTrue();
        assertThat(UnigramTrainer.compatible("the.".codePoints().toArray(), 0, 4)).as("letters and punctuation").isFalse();
        assertThat(UnigramTrainer.compatible("a1".codePoints().toArray(), 0, 2)).as("letters and digits").isFalse();
        assertThat(UnigramTrainer.compatible("a\u2581b".codePoints().toArray(), 0, 3)).as("a word mark inside").isFalse();
        assertThat(UnigramTrainer.compatible("\u6771\u4eac\u3072".codePoints().toArray(), 0, 3)).as("Han with Hiragana").isTrue();
    }

    @Test
    void digammaMatchesKnownValues() {
        assertThat(UnigramTrainer.digamma(1)).isCloseTo(-0.5772156649015329, within(1e-10));
        assertThat(UnigramTrainer.digamma(0.5)).isCloseTo(-1.9635100260214235, within(1e-10));
        assertThat(UnigramTrainer.digamma(100)).isCloseTo(4.600161852738087, within(1e-10));
    }

    @Test
    void aVocabularySmallerThanTheAlphabetIsRefused() {
        assertThatThrownBy(() -> UnigramTrainer.train(List.of("abcdefghij"), 8, 0)).hasMessageContaining("needs at least");
    }
}
