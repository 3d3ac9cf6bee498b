package dev.t4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void backendsListsEveryBackendWithItsStatus() {
        Result r = run("backends");
        assertThat(r.code()).isZero();
        assertThat(r.out()).containsPattern("cpu +100 +selected +512-bit vectors|cpu +100 +selected +\\d+-bit vectors");
        assertThat(r.out()).containsPattern("cuda +200 +unavailable +\\S+");
        assertThat(r.out()).contains("reference");
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        assertThat(run("frobnicate").code()).isEqualTo(2);
        Result r = run("demo", "--stepz", "3");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown option --stepz").contains("--steps VALUE");
        assertThat(run("demo", "--steps", "ten").err()).contains("--steps expects an integer");
    }

    @Test
    void demoTrainsBelowTheUnigramBaselineAndWritesMetricsAndPlot(@TempDir Path dir) throws Exception {
        Path corpus = Path.of(System.getProperty("t4j.root"), "data/corpora/tinyshakespeare/input.txt");
        Result r = run("demo", "--corpus", corpus.toString(), "--steps", "80", "--batch", "8", "--context", "32",
                "--width", "32", "--layers", "1", "--heads", "2", "--lr", "1e-2", "--eval-every", "40",
                "--out", dir.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("below the baseline").contains("--- sample ---");
        assertThat(Files.readAllLines(dir.resolve("metrics.jsonl"))).hasSize(80 + 2)
                .anySatisfy(l -> assertThat(l).contains("\"split\": \"val\""));
        byte[] png = Files.readAllBytes(dir.resolve("loss.png"));
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }

    @Test
    void aMissingCorpusIsNamed() {
        Result r = run("demo", "--corpus", "/no/such/file.txt", "--steps", "1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("/no/such/file.txt");
    }

    @Test
    void parityPassesOnTheBundledGpt2ReferenceAndFailsClearlyWhereNoFamilyExists() {
        Path root = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference");
        Result ok = run("parity", root.resolve("gpt2").toString());
        assertThat(ok.code()).as(ok.out()).isZero();
        assertThat(ok.out()).containsPattern("(?m)^3[0-9] passed, 0 failed$").contains("PASS grad/transformer.wte.weight");
        Result none = run("parity", root.resolve("gpt2").toString(), "/no/such/folder");
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.out()).contains("no expected.json here").containsPattern("(?m)^3[0-9] passed, 1 failed$");
    }

    @Test
    void tokenizeConvertsSpieceModelToATokenizerJsonThatTokenizesAlike(@TempDir Path dir) throws Exception {
        Path spiece = Path.of(System.getProperty("t4j.root"), "data/tokenizers/t5-small/spiece.model");
        Path json = dir.resolve("tokenizer.json");
        Result r = run("tokenize", "--tokenizer", spiece.toString(), "--save-json", json.toString());
        assertThat(r.code()).isZero();
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "Translate English to German: the house is wonderful.\n");
        Result fromJson = run("tokenize", "--tokenizer", json.toString(), "--input", in.toString());
        Result fromSpiece = run("tokenize", "--tokenizer", spiece.toString(), "--input", in.toString());
        assertThat(fromJson.out()).isEqualTo(fromSpiece.out()).contains(",1]");
        Result refused = run("tokenize", "--tokenizer", json.toString(), "--save-json", dir.resolve("x.json").toString());
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("converts a SentencePiece model");
    }

    @Test
    void tokenizePrintsOneJsonArrayPerLineAndDecodesBack(@TempDir Path dir) throws Exception {
        Path tok = Path.of(System.getProperty("t4j.root"), "data/tokenizers/bert-base-uncased/tokenizer.json");
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "Hello, world!\nthe [MASK] sat\n");
        Result r = run("tokenize", "--tokenizer", tok.toString(), "--input", in.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out().lines().toList()).containsExactly("[101,7592,1010,2088,999,102]", "[101,1996,103,2938,102]");
        Path ids = dir.resolve("ids.txt");
        Files.writeString(ids, r.out());
        Result back = run("tokenize", "--tokenizer", tok.toString(), "--input", ids.toString(), "--decode",
                "--no-special-tokens");
        assertThat(back.out().lines().toList()).containsExactly("hello, world!", "the sat");
    }

    @Test
    void generateRefusesEncoderOnlyModelsAndMismatchedTokenizers() {
        Path root = Path.of(System.getProperty("t4j.root"));
        Result bert = run("generate", "--model", root.resolve("fixtures/hf-reference/bert-mlm").toString(), "--prompt", "x");
        assertThat(bert.code()).isEqualTo(1);
        assertThat(bert.err()).contains("encoder-only model does not generate text");
        Result t5 = run("generate", "--model", root.resolve("fixtures/hf-reference/t5").toString(), "--tokenizer",
                root.resolve("data/tokenizers/t5-small").toString(), "--input", "summarize: hi");
        assertThat(t5.code()).isEqualTo(1);
        assertThat(t5.err()).contains("the tokenizer has 32100 tokens but the model").contains("only 1000");
        Result dtype = run("generate", "--model", root.resolve("fixtures/hf-reference/gpt2").toString(), "--prompt", "x",
                "--dtype", "int4");
        assertThat(dtype.code()).isEqualTo(2);
        assertThat(dtype.err()).contains("--dtype").contains("float32, bfloat16 or float16");
    }

    @Test
    void pretrainGptWritesAHuggingFaceModelAndBeatsTheUnigramBaseline(@TempDir Path dir) throws Exception {
        Path corpus = Path.of(System.getProperty("t4j.root"), "data/corpora/timemachine/timemachine.txt");
        Result r = run("pretrain", "gpt", "--corpus", corpus.toString(), "--vocab", "300", "--steps", "150",
                "--batch", "8", "--context", "32", "--layers", "2", "--width", "32", "--heads", "2", "--lr", "1e-2",
                "--eval-every", "75", "--local-window", "8", "--out", dir.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("below the baseline").contains("--- sample");
        assertThat(dir.resolve("model/config.json")).exists();
        assertThat(dir.resolve("model/model.safetensors")).exists();
        assertThat(dir.resolve("model/tokenizer.json")).exists();
        assertThat(dir.resolve("checkpoints/step-00000150/optimizer.safetensors")).exists();
        assertThat(Files.readString(dir.resolve("model/config.json"))).contains("\"model_type\": \"gpt2\"")
                .contains("t4j_local_attention_window");
    }

    @Test
    void pretrainT5WritesAHuggingFaceModelAndBeatsTheUnigramBaseline(@TempDir Path dir) throws Exception {
        String wiki = Files.readString(Path.of(System.getProperty("t4j.root"), "data/corpora/wikitext-2-raw/wiki.test.raw"));
        Path corpus = dir.resolve("wiki.txt");
        Files.writeString(corpus, wiki.substring(0, 150_000));
        Result r = run("pretrain", "t5", "--corpus", corpus.toString(), "--input-length", "64", "--batch", "8",
                "--steps", "120", "--eval-every", "60", "--out", dir.resolve("run").toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("inputs of 64").contains("below the baseline").contains("<extra_id_0>");
        assertThat(Files.readString(dir.resolve("run/model/config.json"))).contains("\"model_type\": \"t5\"")
                .contains("decoder_start_token_id");
        assertThat(dir.resolve("run/model/spiece.model")).exists();
        assertThat(Files.readAllLines(dir.resolve("run/metrics.jsonl"))).anyMatch(l -> l.contains("\"split\": \"eval\""));
    }

    @Test
    void finetuneT5ReadsAnyTextToTextFilesAndNamesAMissingColumn(@TempDir Path dir) throws Exception {
        StringBuilder train = new StringBuilder();
        for (String w : new String[] {"red", "blue", "green", "yellow"}) {
            train.append("{\"question\": \"colour ").append(w).append("\", \"answer\": \"").append(w).append("\"}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), train.toString());
        Files.writeString(dir.resolve("dev.tsv"), "question\tanswer\ncolour red\tred\ncolour blue\tblue\n");
        Result r = run("finetune", "t5", "--train", dir.resolve("train.jsonl").toString(), "--dev",
                dir.resolve("dev.tsv").toString(), "--input-column", "question", "--target-column", "answer",
                "--prefix", "copy: ", "--steps", "4", "--batch", "2", "--max-target", "8", "--out", dir.resolve("run").toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("4 train, 2 dev pairs").containsPattern("dev \\(2 pairs\\): exact match \\d");
        assertThat(Files.readAllLines(dir.resolve("run/predictions.jsonl"))).hasSize(2)
                .allMatch(l -> l.contains("\"input\":\"copy: colour") && l.contains("\"prediction\""));
        Result bad = run("finetune", "t5", "--train", dir.resolve("train.jsonl").toString(), "--dev",
                dir.resolve("dev.tsv").toString(), "--steps", "1");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("train.jsonl row 1: no 'input' column").contains("--input-column");
    }

    @Test
    void trainTokenizerWritesTokenizersThatLoadBack(@TempDir Path dir) throws Exception {
        Path corpus = Path.of(System.getProperty("t4j.root"), "data/corpora/timemachine/timemachine.txt");
        Result wp = run("train-tokenizer", "--type", "wordpiece", "--corpus", corpus.toString(), "--vocab", "1500",
                "--out", dir.resolve("wp").toString());
        assertThat(wp.code()).as(wp.err()).isZero();
        assertThat(wp.out()).contains("wordpiece tokenizer of 1,500 tokens");
        var tok = dev.t4j.tokenizer.Tokenizer.load(dir.resolve("wp"));
        assertThat(tok.encode("The Time Traveller").tokens()).startsWith("[CLS]", "the", "time").endsWith("[SEP]");
        assertThat(Files.readAllLines(dir.resolve("wp/vocab.txt"))).hasSize(1500).startsWith("[PAD]", "[UNK]");
        Result bpe = run("train-tokenizer", "--type", "bpe", "--corpus", corpus.toString(), "--vocab", "600",
                "--out", dir.resolve("bpe").toString());
        assertThat(bpe.code()).as(bpe.err()).isZero();
        assertThat(dev.t4j.tokenizer.Tokenizer.load(dir.resolve("bpe/tokenizer.json")).vocabSize()).isEqualTo(600);
        Files.writeString(dir.resolve("empty.txt"), "\n \n");
        Result empty = run("train-tokenizer", "--type", "wordpiece", "--corpus", dir.resolve("empty.txt").toString());
        assertThat(empty.code()).isEqualTo(1);
        assertThat(empty.err()).contains("empty.txt holds no text");
        Result unigram = run("train-tokenizer", "--type", "unigram", "--corpus", corpus.toString(), "--vocab", "1000",
                "--extra-ids", "20", "--out", dir.resolve("unigram").toString());
        assertThat(unigram.code()).as(unigram.err()).isZero();
        var t5 = dev.t4j.tokenizer.Tokenizer.load(dir.resolve("unigram"));
        assertThat(t5.tokenToId("<extra_id_0>")).isEqualTo(999);
        assertThat(t5.encode("The Time Traveller").tokens()).endsWith("</s>");
    }
}
