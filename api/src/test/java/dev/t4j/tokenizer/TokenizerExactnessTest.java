package dev.t4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.t4j.data.Csv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ids identical to Hugging Face tokenizers (the Rust library, through DJL) on every line of the bundled corpora,
 * for bert-base-uncased and gpt2; decoding round-trips where the reference does.
 */
class TokenizerExactnessTest {
    static final Path ROOT = Path.of(System.getProperty("t4j.root"));

    static List<String> lines(String rel) throws IOException {
        return Files.readAllLines(ROOT.resolve(rel));
    }

    /** Every sentence of the bundled SST-2 splits. */
    static List<String> sst2Sentences() {
        List<String> sst2 = new ArrayList<>();
        for (String f : List.of("train.tsv", "dev.tsv", "test.tsv")) {
            var rows = Csv.readTsv(ROOT.resolve("data/classification/sst2/" + f));
            int col = rows.getFirst().indexOf("sentence");
            rows.subList(1, rows.size()).forEach(r -> sst2.add(r.get(col)));
        }
        return sst2;
    }

    /** The 1,000 CNN/DailyMail articles and their highlights, in turn. */
    static List<String> cnnTexts() {
        List<String> texts = new ArrayList<>();
        for (List<String> r : Csv.readCsv(ROOT.resolve("data/summarization/cnn_dailymail/validation_1000.csv"))
                .subList(1, 1001)) {
            texts.add(r.get(0));
            texts.add(r.get(1));
        }
        return texts;
    }

    static Stream<Arguments> corpora() throws IOException {
        List<String> sst2 = sst2Sentences();
        List<String> articles = cnnTexts();
        List<Arguments> out = new ArrayList<>();
        for (String tok : List.of("gpt2", "bert-base-uncased")) {
            out.add(Arguments.of(tok, "tinyshakespeare", lines("data/corpora/tinyshakespeare/input.txt")));
            out.add(Arguments.of(tok, "timemachine", lines("data/corpora/timemachine/timemachine.txt")));
            out.add(Arguments.of(tok, "wikitext-2 test", lines("data/corpora/wikitext-2/wiki.test.tokens")));
            out.add(Arguments.of(tok, "wikitext-2 raw test", lines("data/corpora/wikitext-2-raw/wiki.test.raw")));
            out.add(Arguments.of(tok, "sst2 sentences", sst2));
            out.add(Arguments.of(tok, "cnn/dailymail articles and highlights", articles));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("corpora")
    void idsMatchHuggingFaceTokenizers(String tokenizer, String corpus, List<String> texts) throws IOException {
        Path json = ROOT.resolve("data/tokenizers/" + tokenizer + "/tokenizer.json");
        Tokenizer ours = Tokenizer.load(json);
        try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(json,
                Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"))) {
            int checked = 0;
            for (int i = 0; i < texts.size(); i++) {
                String text = texts.get(i);
                long[] expected = ref.encode(text).getIds();
                long[] actual = ours.encode(text).idsAsLongs();
                if (!Arrays.equals(expected, actual)) {
                    assertThat(actual).as("%s, %s line %d: %s", tokenizer, corpus, i + 1, text).containsExactly(expected);
                }
                checked++;
            }
            assertThat(checked).isEqualTo(texts.size());
        }
    }
}
