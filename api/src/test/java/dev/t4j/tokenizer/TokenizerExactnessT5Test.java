package dev.t4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * t5-small's spiece.model, parsed and run by t4j, against the ids Debian's spm_encode gave for every bundled corpus
 * line (stored by scripts/t5-reference-ids.py, which cuts the lines the same way).
 */
class TokenizerExactnessT5Test {
    static final Path ROOT = TokenizerExactnessTest.ROOT;

    static List<String> textLines(String rel) throws IOException {
        String[] parts = Files.readString(ROOT.resolve(rel), StandardCharsets.UTF_8).split("\n", -1);
        List<String> out = new ArrayList<>();
        for (String p : parts) {
            out.add(p.endsWith("\r") ? p.substring(0, p.length() - 1) : p);
        }
        if (!out.isEmpty() && out.getLast().isEmpty()) {
            out.removeLast();
        }
        return out;
    }

    static Stream<Arguments> corpora() throws IOException {
        List<String> sst2 = TokenizerExactnessTest.sst2Sentences();
        List<String> cnn = TokenizerExactnessTest.cnnTexts().stream().map(t -> t.replace('\n', ' ')).toList(); // spm_encode reads lines
        return Stream.of(
                Arguments.of("tinyshakespeare", textLines("data/corpora/tinyshakespeare/input.txt")),
                Arguments.of("timemachine", textLines("data/corpora/timemachine/timemachine.txt")),
                Arguments.of("wikitext-2-test", textLines("data/corpora/wikitext-2/wiki.test.tokens")),
                Arguments.of("wikitext-2-raw-test", textLines("data/corpora/wikitext-2-raw/wiki.test.raw")),
                Arguments.of("sst2", sst2),
                Arguments.of("cnn-dailymail", cnn));
    }

    @ParameterizedTest(name = "t5-small on {0}")
    @MethodSource("corpora")
    void idsMatchSentencePiece(String corpus, List<String> texts) throws IOException {
        Tokenizer t5 = Tokenizer.load(ROOT.resolve("data/tokenizers/t5-small/spiece.model"));
        List<String> expected = new ArrayList<>();
        try (var in = getClass().getResourceAsStream("/tokenizer/t5-small/" + corpus + ".ids.gz");
                var r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
            r.lines().forEach(expected::add);
        }
        assertThat(expected).as("reference lines for " + corpus).hasSize(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = t5.encode(texts.get(i), null, false).ids();
            String actual = String.join(" ", Arrays.stream(ids).mapToObj(Integer::toString).toList());
            if (!actual.equals(expected.get(i))) {
                assertThat(actual).as("%s line %d: %s", corpus, i + 1, texts.get(i)).isEqualTo(expected.get(i));
            }
        }
    }
}
