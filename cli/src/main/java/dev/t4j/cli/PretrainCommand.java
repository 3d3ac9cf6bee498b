package dev.t4j.cli;

import dev.t4j.plot.LinePlot;
import dev.t4j.autograd.GradMode;
import dev.t4j.backend.Backend;
import dev.t4j.gpt.GPT2Checkpoint;
import dev.t4j.gpt.GPT2Config;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.generation.GenerationConfig;
import dev.t4j.gpt.GptPretraining;
import dev.t4j.gpt.TextGeneration;
import dev.t4j.inject.T4jModule;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.optim.LrSchedule;
import dev.t4j.tensor.Generator;
import dev.t4j.tokenizer.BpeTrainer;
import dev.t4j.tokenizer.Tokenizer;
import dev.t4j.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code t4j pretrain gpt}: the project's main job. Trains a byte-level BPE on the corpus (or uses --tokenizer),
 * then a small GPT on 90 % of the tokens, evaluating on the other 10 %; writes a Hugging Face checkpoint, metrics,
 * a loss plot, and prints a sample and the validation loss beside the unigram baseline.
 */
final class PretrainCommand {
    private PretrainCommand() {}

    private static final String HELP = """
            usage: t4j pretrain gpt [--corpus FILE|DIR] [--tokenizer PATH] [--vocab N] [--preset NAME | --layers N
                                    --heads N --width N] [--context N] [--steps N] [--batch N] [--lr X]
                                    [--schedule cosine|linear|constant|inverse-sqrt] [--warmup N] [--dropout X]
                                    [--clip X] [--accumulation N] [--eval-every N] [--checkpoint-every N] [--keep N]
                                    [--seed N] [--out DIR] [--resume CHECKPOINT_DIR] [--local-window N]

            Defaults: the bundled Tiny Shakespeare, a byte-level BPE of 2,048 tokens trained on it, 4 layers of width
            128 with 4 heads, context 128, 800 steps of 16 sequences, AdamW at 2e-3 with 50 warm-up steps and cosine
            decay. DIR (runs/gpt) receives tokenizer.json, metrics.jsonl, loss.png, checkpoints/ and model/ (a Hugging
            Face GPT2LMHeadModel folder with its tokenizer). A folder corpus means every *.txt file in it.
            --local-window N makes every odd layer attend to the last N positions only (GPT-3's alternating dense
            and locally banded attention; a t4j config key that Hugging Face ignores).
            """;

    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length >= 2 && argv[1].equals("bert")) {
            return BertCommands.pretrain(argv, out);
        }
        if (argv.length >= 2 && argv[1].equals("t5")) {
            return T5Commands.pretrain(argv, out);
        }
        if (argv.length < 2 || !argv[1].equals("gpt")) {
            throw new Args.UsageException("pretrain needs a family: `t4j pretrain gpt`, `t4j pretrain bert` or "
                    + "`t4j pretrain t5`");
        }
        Args a = new Args(argv, 2, Set.of("corpus", "tokenizer", "vocab", "preset", "layers", "heads", "width", "context",
                "steps", "batch", "lr", "schedule", "warmup", "dropout", "clip", "accumulation", "eval-every",
                "checkpoint-every", "keep", "seed", "out", "resume", "local-window"), Set.of("help"));
        if (a.flag("help")) {
            out.print(HELP);
            return 0;
        }
        Path corpus = Path.of(a.get("corpus", Home.path("data/corpora/tinyshakespeare/input.txt").toString()));
        Path outDir = Path.of(a.get("out", "runs/gpt"));
        int context = a.getInt("context", 128);
        int steps = a.getInt("steps", 800);
        int batch = a.getInt("batch", 16);
        long seed = a.getInt("seed", 1337);
        Backend backend = com.google.inject.Guice.createInjector(new T4jModule()).getInstance(Backend.class);

        String text = readCorpus(corpus);
        Tokenizer tok;
        if (a.get("tokenizer", null) != null) {
            tok = Tokenizer.load(Path.of(a.get("tokenizer", null)));
            TokenizerFiles.copy(Path.of(a.get("tokenizer", null)), outDir);
        } else {
            int vocab = a.getInt("vocab", 2048);
            long t0 = System.nanoTime();
            BpeTrainer.Result bpe = BpeTrainer.train(text, vocab, List.of("<|endoftext|>"));
            bpe.write(outDir.resolve("tokenizer.json"));
            tok = bpe.tokenizer();
            out.printf("trained a byte-level BPE of %,d tokens on %s in %.1f s%n", bpe.vocab().size(), corpus,
                    (System.nanoTime() - t0) / 1e9);
        }
        int[] tokens = tok.encode(text, null, false).ids();
        int split = (int) (tokens.length * 0.9);
        int[] train = java.util.Arrays.copyOfRange(tokens, 0, split);
        int[] eval = java.util.Arrays.copyOfRange(tokens, split, tokens.length);
        double unigram = GptPretraining.unigramBaseline(train, eval, tok.vocabSize());

        GPT2Config base = a.get("preset", null) != null ? GPT2Config.preset(a.get("preset", null))
                : new GPT2Config(50257, 1024, a.getInt("width", 128), a.getInt("layers", 4), a.getInt("heads", 4),
                        4 * a.getInt("width", 128), "gelu_new", 1e-5, 0, 0, 0, Map.of());
        double dropout = a.getDouble("dropout", 0.0);
        GPT2Config config = new GPT2Config(tok.vocabSize(), context, base.nEmbd(), base.nLayer(), base.nHead(),
                base.nInner(), base.activation(), base.layerNormEpsilon(), dropout, dropout, dropout, Map.of())
                .withLocalAttention(a.getInt("local-window", 0));
        out.printf("corpus %s: %,d characters, %,d tokens (%,d train / %,d validation); backend %s, %d threads%n", corpus,
                text.length(), tokens.length, train.length, eval.length, backend.name(), backend.threads());
        try (Scope modelScope = Scope.open("model")) {
            GPT2LMHeadModel model = new GPT2LMHeadModel(config, new Generator(seed));
            Path resume = a.get("resume", null) == null ? null : Path.of(a.get("resume", null));
            if (resume != null) {
                GPT2LMHeadModel saved = GPT2Checkpoint.load(resume);
                try (var g = GradMode.noGrad()) {
                    model.load(saved.namedParameters(), true);
                }
            }
            out.printf("model: %d layers, width %d, %d heads, context %d, vocabulary %,d: %,d parameters%n",
                    config.nLayer(), config.nEmbd(), config.nHead(), context, config.vocabSize(), model.parameterCount());
            out.printf("unigram baseline on the validation split: %.4f nats/token%n", unigram);
            double lr = a.getDouble("lr", 2e-3);
            AdamW opt = new AdamW(model.parameters(), lr, 0.9, 0.99, 1e-8, 0.1);
            LrSchedule schedule = LrSchedule.named(a.get("schedule", "cosine"), lr,
                    Math.min(a.getInt("warmup", 50), steps), steps);
            GptPretraining task = new GptPretraining(model, train, eval, batch, context, 8);
            Trainer trainer = new Trainer(task, opt, schedule, new Trainer.Options(steps, a.getInt("accumulation", 1),
                    a.getDouble("clip", 1.0), a.getInt("eval-every", 100), a.getInt("checkpoint-every", 200),
                    a.getInt("keep", 2), 0, seed, outDir));
            if (resume != null) {
                trainer.resumeFrom(resume);
                out.println("resumed from " + resume + " at step " + trainer.step());
            }
            Trainer.Result result = trainer.run();
            Path modelDir = outDir.resolve("model");
            GPT2Checkpoint.save(model, modelDir);
            TokenizerFiles.copy(outDir.resolve("tokenizer.json"), modelDir);
            out.printf("validation loss %.4f nats/token after %d steps (unigram baseline %.4f, perplexity %.1f vs %.1f): %s%n",
                    result.lastEvalLoss(), result.steps(), unigram, Math.exp(result.lastEvalLoss()), Math.exp(unigram),
                    result.lastEvalLoss() < unigram ? "below the baseline" : "NOT below the baseline");
            out.println("wrote " + modelDir + " (Hugging Face GPT2LMHeadModel + tokenizer.json), "
                    + outDir.resolve("metrics.jsonl") + (LinePlot.available() ? ", " + outDir.resolve("loss.png") : "") + ", " + result.lastCheckpoint());
            long[] prompt = new long[Math.min(8, eval.length)];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = eval[i];
            }
            long[] sample = TextGeneration.generate(model, prompt,
                    GenerationConfig.greedy(120).sampling(0.8, 40, 1.0, seed), null);
            int[] ids = new int[sample.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (int) sample[i];
            }
            out.println("--- sample (prompt: the first 8 validation tokens) ---");
            out.println(tok.decode(ids, true));
            out.println("------------------------------------------------------");
            return result.lastEvalLoss() < unigram ? 0 : 1;
        }
    }

    static String readCorpus(Path corpus) {
        try {
            if (Files.isDirectory(corpus)) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(corpus)) {
                    files = new ArrayList<>(walk.filter(p -> p.toString().endsWith(".txt") && Files.isRegularFile(p))
                            .sorted().toList());
                }
                if (files.isEmpty()) {
                    throw new IllegalArgumentException(corpus + " holds no .txt files");
                }
                StringBuilder sb = new StringBuilder();
                for (Path f : files) {
                    sb.append(readUtf8(f)).append('\n');
                }
                return sb.toString();
            }
            return readUtf8(corpus);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus " + corpus + ": " + e.getMessage(), e);
        }
    }

    private static String readUtf8(Path f) throws IOException {
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(f))).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(f + " is not valid UTF-8 (" + e.getMessage() + ")");
        }
    }

}
