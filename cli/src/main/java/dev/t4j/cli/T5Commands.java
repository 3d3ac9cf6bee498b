package dev.t4j.cli;

import dev.t4j.plot.LinePlot;
import dev.t4j.autograd.GradMode;
import dev.t4j.backend.Backend;
import dev.t4j.data.Rows;
import dev.t4j.io.AtomicFile;
import dev.t4j.json.Json;
import dev.t4j.generation.GenerationConfig;
import dev.t4j.memory.Scope;
import dev.t4j.metrics.Rouge;
import dev.t4j.optim.Adafactor;
import dev.t4j.optim.AdamW;
import dev.t4j.optim.LrSchedule;
import dev.t4j.t5.SpanCorruption;
import dev.t4j.t5.Summarization;
import dev.t4j.t5.T5Checkpoint;
import dev.t4j.t5.T5Config;
import dev.t4j.t5.T5ForConditionalGeneration;
import dev.t4j.t5.T5Generation;
import dev.t4j.t5.T5Pretraining;
import dev.t4j.t5.TextToText;
import dev.t4j.tensor.Generator;
import dev.t4j.tokenizer.Tokenizer;
import dev.t4j.tokenizer.UnigramTrainer;
import dev.t4j.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code t4j pretrain t5}: span-corruption pretraining of a small T5 on the bundled WikiText-2 text; {@code t4j
 * finetune t5 --task summarize}: text-to-text fine-tuning on the bundled CNN/DailyMail pairs.
 */
final class T5Commands {
    private T5Commands() {}

    static final String PRETRAIN_HELP = """
            usage: t4j pretrain t5 [--corpus FILE|DIR] [--tokenizer PATH | --vocab N] [--preset NAME] [--input-length N]
                                   [--noise-density X] [--mean-span X] [--steps N] [--batch N] [--lr X] [--warmup N]
                                   [--eval-every N] [--seed N] [--out DIR]

            Pretrains T5 by span corruption (Raffel et al. 2020): 15 % of the tokens (--noise-density), in spans of
            mean length 3 (--mean-span), are replaced by sentinels <extra_id_0>, <extra_id_1>, ... in the encoder
            input, and the decoder learns to write each sentinel followed by the span it hid. Windows of the token
            stream are cut so that each corrupted input is exactly --input-length tokens (128). Defaults: the
            bundled WikiText-2 raw test text (the last 10 % held out), the t5-small SentencePiece tokenizer (--vocab N
            trains a Unigram tokenizer of N tokens, 100 sentinels included, on the training text instead), the
            t5-tiny size (2+2 layers, d_model 128), 600 steps of 16 sequences, AdamW at 3e-3 with 60 warm-up steps
            and cosine decay. Reports held-out span-reconstruction loss and token accuracy beside a unigram baseline,
            and shows one held-out example reconstructed. DIR (runs/t5) receives metrics.jsonl, loss.png,
            checkpoints/ and model/ (a Hugging Face T5ForConditionalGeneration folder with its tokenizer).
            """;

    static int pretrain(String[] argv, PrintStream out) {
        Args a = new Args(argv, 2, Set.of("corpus", "tokenizer", "vocab", "preset", "input-length", "noise-density", "mean-span",
                "steps", "batch", "lr", "warmup", "eval-every", "seed", "out"), Set.of("help"));
        if (a.flag("help")) {
            out.print(PRETRAIN_HELP);
            return 0;
        }
        Backend backend = BertCommands.backend();
        Path corpus = Path.of(a.get("corpus", Home.path("data/corpora/wikitext-2-raw/wiki.test.raw").toString()));
        Path outDir = Path.of(a.get("out", "runs/t5"));
        String text = PretrainCommand.readCorpus(corpus);
        if (text.isBlank()) {
            throw new IllegalArgumentException(corpus + " holds no text to pretrain on");
        }
        Path tokPath = Path.of(a.get("tokenizer", Home.path("data/tokenizers/t5-small").toString()));
        if (a.get("vocab", null) != null) {
            if (a.get("tokenizer", null) != null) {
                throw new Args.UsageException("pass --tokenizer or --vocab, not both");
            }
            long t0 = System.nanoTime();
            String[] lines = text.split("\n");
            List<String> training = java.util.Arrays.stream(lines, 0, (int) (lines.length * 0.9))
                    .filter(l -> !l.isBlank()).toList(); // the held-out tail of the corpus is not seen
            UnigramTrainer.Result unigram = UnigramTrainer.train(training, a.getInt("vocab", 8000), 100);
            tokPath = outDir.resolve("tokenizer/tokenizer.json");
            unigram.write(tokPath);
            out.printf("trained a Unigram tokenizer of %,d tokens (100 sentinels) on the training text in %.1f s%n",
                    unigram.pieces().size(), (System.nanoTime() - t0) / 1e9);
        }
        Tokenizer tok = Tokenizer.load(tokPath);
        int inputLength = a.getInt("input-length", 128);
        int steps = a.getInt("steps", 600);
        int batch = a.getInt("batch", 16);
        long seed = a.getInt("seed", 1337);
        SpanCorruption corruption = SpanCorruption.forTokenizer(tok, a.getDouble("noise-density", 0.15),
                a.getDouble("mean-span", 3.0), inputLength);

        long t0 = System.nanoTime();
        int[] tokens = tok.encode(text, null, false).ids();
        int split = (int) (tokens.length * 0.9);
        int[] train = java.util.Arrays.copyOfRange(tokens, 0, split);
        int[] heldOut = java.util.Arrays.copyOfRange(tokens, split, tokens.length);
        int[] lengths = corruption.lengthsFor(inputLength);
        out.printf("corpus %s: %,d characters, %,d tokens (%,d train / %,d held out), tokenized in %.1f s; windows of "
                + "%d tokens -> inputs of %d and targets of %d; backend %s, %d threads%n", corpus, text.length(),
                tokens.length, train.length, heldOut.length, (System.nanoTime() - t0) / 1e9, lengths[0], inputLength,
                lengths[1], backend.name(), backend.threads());
        T5Config config = sized(a.get("preset", "t5-tiny"), tok, 0.1);
        try (Scope s = Scope.open("model")) {
            T5ForConditionalGeneration model = new T5ForConditionalGeneration(config, new Generator(seed));
            out.printf("model: %d+%d layers, d_model %d, %d heads, vocabulary %,d: %,d parameters%n", config.numLayers(),
                    config.numDecoderLayers(), config.dModel(), config.numHeads(), config.vocabSize(),
                    model.parameterCount());
            T5Pretraining task = new T5Pretraining(model, train, heldOut, corruption, inputLength, batch, 8);
            double unigram = task.unigramBaseline();
            out.printf("unigram baseline on the %d held-out targets: %.4f nats/token%n", task.heldOut().size(), unigram);
            double lr = a.getDouble("lr", 3e-3);
            AdamW opt = new AdamW(model.parameters(), lr, 0.9, 0.99, 1e-8, 0.01);
            Trainer.Result r = new Trainer(task, opt, LrSchedule.named("cosine", lr, Math.min(a.getInt("warmup", 60), steps),
                    steps), new Trainer.Options(steps, 1, 1.0, a.getInt("eval-every", 100), 200, 2, 0, seed, outDir)).run();
            model.eval();
            T5Pretraining.Evaluation ev;
            try (var g = GradMode.noGrad()) {
                ev = task.evaluate();
            }
            Path modelDir = outDir.resolve("model");
            T5Checkpoint.save(model, modelDir);
            TokenizerFiles.copy(tokPath, modelDir);
            out.printf("held-out span reconstruction after %d steps: loss %.4f nats/token (unigram baseline %.4f), "
                    + "token accuracy %.1f %% over %,d target tokens (%.1f %% of the hidden tokens alone): %s%n",
                    r.steps(), ev.loss(), unigram, 100 * ev.accuracy(), ev.targetTokens(), 100 * ev.hiddenAccuracy(), ev.loss() < unigram ? "below the baseline"
                    : "NOT below the baseline");
            SpanCorruption.Example example = task.heldOut().getFirst();
            long[] predicted = T5Generation.generate(model, example.input(),
                    GenerationConfig.greedy(example.target().length + 8), null);
            out.println("--- a held-out example ---");
            out.println("input:     " + decode(tok, example.input()));
            out.println("target:    " + decode(tok, example.target()));
            out.println("predicted: " + decode(tok, predicted));
            out.println("--------------------------");
            out.println("wrote " + modelDir + " (Hugging Face T5ForConditionalGeneration + tokenizer), "
                    + outDir.resolve("metrics.jsonl") + (LinePlot.available() ? ", " + outDir.resolve("loss.png") : ""));
            return ev.loss() < unigram ? 0 : 1;
        }
    }

    /** Ids as text with the sentinels and </s> shown (they are what span corruption is about). */
    private static String decode(Tokenizer tok, long[] ids) {
        StringBuilder sb = new StringBuilder();
        List<Integer> run = new ArrayList<>();
        for (long id : ids) {
            String piece = tok.idToToken((int) id);
            if (piece.startsWith("<extra_id_") || piece.equals("</s>")) {
                sb.append(tok.decode(run.stream().mapToInt(Integer::intValue).toArray(), true)).append(' ')
                        .append(piece).append(' ');
                run.clear();
            } else {
                run.add((int) id);
            }
        }
        sb.append(tok.decode(run.stream().mapToInt(Integer::intValue).toArray(), true));
        return sb.toString().strip().replaceAll(" +", " ");
    }


    static final String HELP = """
            usage: t4j finetune t5 (--task summarize | --train FILE --dev FILE [--input-column C] [--target-column C]
                                   [--prefix TEXT] [--truncate]) [--model DIR] [--steps N] [--batch N] [--lr X]
                                   [--max-input N] [--max-target N] [--test-limit N] [--group-by-length] [--seed N]
                                   [--out DIR]

            --task summarize fine-tunes on the bundled CNN/DailyMail pairs ("summarize: " + article -> highlights;
            the first 800 pairs train, the next 100 dev, the last 100 test), then summarises the test articles
            greedily and reports ROUGE-1/2/L beside the lead-3 baseline on the same split; articles are cut to
            --max-input tokens (512), which this task asks for.
            --train/--dev fine-tune on any text-to-text task: TSV, CSV or JSONL files with a header, the input in
            --input-column (input) and the target in --target-column (target), --prefix TEXT put before each input
            ("translate English to German: ", say). An input over --max-input tokens is an error unless --truncate;
            a target over --max-target always is. After training, the first --test-limit dev inputs are answered
            greedily and scored by exact match and ROUGE; DIR/predictions.jsonl holds each input, target and
            prediction.
            Training uses Adafactor (T5's optimizer) at a constant --lr (1e-3); --group-by-length draws batches of
            inputs of similar length, so less of each batch is padding. Start from a T5 checkpoint with
            --model (a Hugging Face t5-small folder, say); without one, a small T5 is trained from scratch, which
            shows that the path works but cannot learn much from a few hundred pairs.
            """;

    static int finetune(String[] argv, PrintStream out) {
        Args a = new Args(argv, 2, Set.of("task", "train", "dev", "input-column", "target-column", "prefix", "model",
                "steps", "batch", "lr", "max-input", "max-target", "test-limit", "seed", "out", "eval-every"),
                Set.of("truncate", "group-by-length", "help"));
        if (a.flag("help")) {
            out.print(HELP);
            return 0;
        }
        boolean summarize = "summarize".equals(a.get("task", null));
        if (summarize == (a.get("train", null) != null) || (!summarize && a.get("dev", null) == null)) {
            throw new Args.UsageException("finetune t5 needs --task summarize, or --train FILE and --dev FILE");
        }
        Backend backend = BertCommands.backend();
        List<TextToText.Pair> train;
        List<TextToText.Pair> dev;
        List<TextToText.Pair> test;
        List<Summarization.Pair> articles = null;
        if (summarize) {
            Summarization.Splits splits = Summarization.read(Home.path("data/summarization/cnn_dailymail/validation_1000.csv"));
            train = pairs(splits.train());
            dev = pairs(splits.dev());
            test = pairs(splits.test());
            articles = splits.test();
        } else {
            String prefix = a.get("prefix", "");
            train = pairs(Path.of(a.get("train", null)), a.get("input-column", "input"), a.get("target-column", "target"),
                    prefix);
            dev = pairs(Path.of(a.get("dev", null)), a.get("input-column", "input"), a.get("target-column", "target"),
                    prefix);
            test = dev;
        }
        String modelDir = a.get("model", null) == null ? null : ModelLocation.resolve(a.get("model", null)).toString();
        Tokenizer tok = Tokenizer.load(modelDir != null && (Files.exists(Path.of(modelDir, "spiece.model"))
                || Files.exists(Path.of(modelDir, "tokenizer.json"))) ? Path.of(modelDir)
                : Home.path("data/tokenizers/t5-small"));
        long seed = a.getInt("seed", 1337);
        int steps = a.getInt("steps", 300);
        int batch = a.getInt("batch", 8);
        int maxInput = a.getInt("max-input", 512);
        Path outDir = Path.of(a.get("out", summarize ? "runs/t5-summarize" : "runs/t5-finetune"));
        try (Scope s = Scope.open("model")) {
            T5ForConditionalGeneration model = modelDir != null ? T5Checkpoint.load(Path.of(modelDir))
                    : new T5ForConditionalGeneration(sized("t5-tiny", tok, 0.1), new Generator(seed));
            out.printf("%s: %,d parameters; %d train, %d dev%s pairs; backend %s, %d threads%n",
                    modelDir == null ? "T5 from scratch (2 layers, d_model 128)" : modelDir, model.parameterCount(),
                    train.size(), dev.size(), summarize ? ", " + test.size() + " test" : "", backend.name(),
                    backend.threads());
            TextToText task = new TextToText(model, tok, train, dev, maxInput, a.getInt("max-target", 192),
                    summarize || a.flag("truncate"), batch);
            if (a.flag("group-by-length")) {
                task.groupByLength(seed);
            }
            double lr = a.getDouble("lr", 1e-3);
            Adafactor opt = new Adafactor(model.parameters(), lr, false, false, null, 0);
            new Trainer(task, opt, LrSchedule.constant(lr), new Trainer.Options(steps, 1, 1.0,
                    a.getInt("eval-every", 100), 0, 1, 0, seed, outDir)).run();
            int limit = Math.min(test.size(), a.getInt("test-limit", 100));
            List<String> predictions = new ArrayList<>();
            List<String> references = new ArrayList<>();
            for (TextToText.Pair p : test.subList(0, limit)) {
                long[] in = tok.encode(p.input()).idsAsLongs();
                if (in.length > maxInput) { // only when truncation was allowed: TextToText checked the others
                    in = java.util.Arrays.copyOf(in, maxInput);
                    in[in.length - 1] = tok.tokenToId("</s>");
                }
                long[] outIds = T5Generation.generate(model, in, GenerationConfig.greedy(summarize ? 96
                        : a.getInt("max-target", 192)), null);
                predictions.add(tok.decode(java.util.Arrays.stream(outIds).mapToInt(x -> (int) x).toArray(), true));
                references.add(p.target());
            }
            T5Checkpoint.save(model, outDir.resolve("model"));
            writePredictions(outDir.resolve("predictions.jsonl"), test.subList(0, limit), predictions);
            Rouge.Scores ours = Rouge.mean(predictions, references);
            if (summarize) {
                List<String> leads = articles.subList(0, limit).stream().map(p -> Summarization.lead3(p.article())).toList();
                out.printf("test (%d articles): model %s; lead-3 %s%n", limit, ours, Rouge.mean(leads, references));
            } else {
                long exact = 0;
                for (int i = 0; i < limit; i++) {
                    exact += predictions.get(i).strip().equals(references.get(i).strip()) ? 1 : 0;
                }
                out.printf("dev (%d pairs): exact match %.1f %%, %s%n", limit, 100.0 * exact / limit, ours);
            }
            out.println("first prediction: " + predictions.getFirst());
            out.println("wrote " + outDir.resolve("model") + ", " + outDir.resolve("predictions.jsonl") + ", "
                    + outDir.resolve("metrics.jsonl") + (LinePlot.available() ? ", " + outDir.resolve("loss.png") : ""));
            return 0;
        }
    }

    /** Input/target pairs from a data file's two columns, {@code prefix} put before each input. */
    static List<TextToText.Pair> pairs(Path file, String inputColumn, String targetColumn, String prefix) {
        List<Map<String, String>> rows = Rows.read(file);
        List<TextToText.Pair> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            out.add(new TextToText.Pair(prefix + Rows.column(rows.get(i), inputColumn, file, i, "--input-column"),
                    Rows.column(rows.get(i), targetColumn, file, i, "--target-column")));
        }
        return out;
    }

    private static void writePredictions(Path file, List<TextToText.Pair> pairs, List<String> predictions) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < predictions.size(); i++) {
            Map<String, Object> row = new java.util.LinkedHashMap<>();
            row.put("input", pairs.get(i).input());
            row.put("target", pairs.get(i).target());
            row.put("prediction", predictions.get(i));
            sb.append(Json.write(row)).append('\n');
        }
        AtomicFile.writeString(file, sb.toString());
    }

    /**
     * A preset's sizes with the tokenizer's vocabulary, rounded up to a multiple of 128 as Hugging Face pads
     * t5-small's 32,100 to 32,128, and this dropout.
     */
    private static T5Config sized(String preset, Tokenizer tok, double dropout) {
        T5Config p = T5Config.preset(preset);
        return new T5Config((tok.vocabSize() + 127) / 128 * 128, p.dModel(), p.dKv(), p.dFf(), p.numLayers(),
                p.numDecoderLayers(), p.numHeads(), 32, 128, dropout, 1e-6, "relu", true, 0, 0, 1, Map.of());
    }

    private static List<TextToText.Pair> pairs(List<Summarization.Pair> set) {
        List<TextToText.Pair> out = new ArrayList<>();
        for (Summarization.Pair p : set) {
            out.add(new TextToText.Pair("summarize: " + p.article(), p.summary()));
        }
        return out;
    }
}
