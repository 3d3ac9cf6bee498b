package dev.t4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
    static final Path TOK = TokenizerExactnessTest.ROOT.resolve("data/tokenizers");
    static final Tokenizer GPT2 = Tokenizer.load(TOK.resolve("gpt2/tokenizer.json"));
    static final Tokenizer BERT = Tokenizer.load(TOK.resolve("bert-base-uncased"));
    static final Tokenizer T5 = Tokenizer.load(TOK.resolve("t5-small"));

    @Test
    void wellKnownIdsAndSpecialTokens() {
        assertThat(GPT2.encode("Hello world").ids()).containsExactly(15496, 995);
        assertThat(BERT.encode("Hello, world!").ids()).containsExactly(101, 7592, 1010, 2088, 999, 102);
        assertThat(T5.encode("Hello world!").ids()).containsExactly(8774, 296, 55, 1);
        assertThat(BERT.encode("Hello, world!", null, false).ids()).containsExactly(7592, 1010, 2088, 999);
        assertThat(GPT2.encode("a<|endoftext|>b").ids()).containsExactly(64, 50256, 65);
        assertThat(BERT.encode("the [MASK] sat").tokens()).containsExactly("[CLS]", "the", "[MASK]", "sat", "[SEP]");
        assertThat(T5.encode("<extra_id_0> cat").ids()[0]).isEqualTo(32099);
        assertThat(T5.vocabSize()).isEqualTo(32100);
    }

    @Test
    void pairsGetTokenTypes() {
        Encoding e = BERT.encode("a dog", "it is", true);
        assertThat(e.tokens()).containsExactly("[CLS]", "a", "dog", "[SEP]", "it", "is", "[SEP]");
        assertThat(e.typeIds()).containsExactly(0, 0, 0, 0, 1, 1, 1);
    }

    @Test
    void offsetsPointIntoTheOriginalText() {
        String text = "Héllo wörld";
        Encoding g = GPT2.encode(text);
        for (int i = 0; i < g.length(); i++) {
            assertThat(g.offsets()[i][0]).isBetween(0, text.length());
        }
        assertThat(g.offsets()[g.length() - 1][1]).isEqualTo(text.length());
        Encoding b = BERT.encode("Hello, WORLD");
        assertThat(b.offsets()[1]).containsExactly(0, 5);
        assertThat(b.offsets()[3]).containsExactly(7, 12);
        assertThat(b.offsets()[0]).containsExactly(-1, -1);
    }

    @Test
    void decodingRoundTrips() {
        String text = "Byte-level BPE round-trips anything: naïve café, 日本語, emoji 🙂 and  two  spaces.";
        assertThat(GPT2.decode(GPT2.encode(text).ids(), false)).isEqualTo(text);
        assertThat(BERT.decode(BERT.encode("Hello, world! It's fine.").ids(), true)).isEqualTo("hello, world! it's fine.");
        assertThat(T5.decode(T5.encode("Studies have shown that owning a dog is good.").ids(), true))
                .isEqualTo("Studies have shown that owning a dog is good.");
    }

    @Test
    void theOriginalFilesGiveTheSameIdsAsTokenizerJson() throws Exception {
        Tokenizer gpt2Files = TokenizerJson.gpt2(TOK.resolve("gpt2/vocab.json"), TOK.resolve("gpt2/merges.txt"));
        Tokenizer bertVocab = Tokenizer.load(TOK.resolve("bert-base-uncased/vocab.txt"));
        for (String line : Files.readAllLines(TokenizerExactnessTest.ROOT.resolve(
                "data/corpora/timemachine/timemachine.txt")).subList(0, 400)) {
            assertThat(gpt2Files.encode(line).ids()).as(line).containsExactly(GPT2.encode(line).ids());
            assertThat(bertVocab.encode(line).ids()).as(line).containsExactly(BERT.encode(line).ids());
        }
    }

    @Test
    void batchesPadAndTruncateOnlyWhenAsked() {
        List<Encoding> right = BERT.encodeBatch(List.of("a b c d", "a"), 0, false, false);
        assertThat(right.get(1).ids()).containsExactly(101, 1037, 102, 0, 0, 0);
        assertThat(right.get(1).attentionMask()).containsExactly(1, 1, 1, 0, 0, 0);
        List<Encoding> left = BERT.encodeBatch(List.of("a b c d", "a"), 0, false, true);
        assertThat(left.get(1).ids()).containsExactly(0, 0, 0, 101, 1037, 102);
        assertThat(BERT.encodeBatch(List.of("a b c d"), 4, true, false).getFirst().length()).isEqualTo(4);
        assertThatThrownBy(() -> BERT.encodeBatch(List.of("ok", "a b c d"), 4, false, false))
                .hasMessageContaining("text 1 has 6 tokens, more than the maximum of 4");
    }

    @Test
    void badFilesAreNamed(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("tokenizer.json");
        Files.writeString(json, "{\"model\": {\"type\": \"Mystery\"}}");
        assertThatThrownBy(() -> Tokenizer.load(json)).hasMessageContaining(json.toString())
                .hasMessageContaining("unknown tokenizer model type 'Mystery'");
        Files.writeString(json, "{\"model\": ");
        assertThatThrownBy(() -> Tokenizer.load(json)).hasMessageContaining(json.toString());
        Path spm = dir.resolve("spiece.model");
        byte[] real = Files.readAllBytes(TOK.resolve("t5-small/spiece.model"));
        Files.write(spm, java.util.Arrays.copyOf(real, 5000));
        assertThatThrownBy(() -> Tokenizer.load(spm)).hasMessageContaining(spm.toString())
                .hasMessageContaining("truncated protobuf");
        assertThatThrownBy(() -> BERT.idToToken(40000)).hasMessageContaining("id 40000");
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("nothing.bin"))).hasMessageContaining("not a tokenizer file");
    }
}
