package dev.t4j.cli;

import dev.t4j.plot.LinePlot;
import dev.t4j.backend.Backend;
import dev.t4j.bert.BertCheckpoint;
import dev.t4j.bert.BertClassification;
import dev.t4j.bert.BertConfig;
import dev.t4j.bert.BertForMaskedLM;
import dev.t4j.bert.BertForSequenceClassification;
import dev.t4j.bert.BertPretraining;
import dev.t4j.bert.MaskedLanguageModeling;
import dev.t4j.bert.NextSentencePairs;
import dev.t4j.inject.T4jModule;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.optim.LrSchedule;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.Tokenizer;
import dev.t4j.tokenizer.WordPieceTrainer;
import dev.t4j.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code t4j pretrain bert} and {@code t4j finetune bert}: the encoder story, pretraining then classification. */
final class BertCommands {
    private BertCommands() {}

    static final String PRETRAIN_HELP = """
            usage: t4j pretrain bert [--steps N] [--batch N] [--lr X] [--max-length N] [--whole-word] [--nsp]
                                     [--vocab N] [--seed N] [--out DIR]

            The book's small setup: 2 layers, hidden 128, 2 heads, sequences of at most 64 WordPiece tokens of
            bert-base-uncased, masked-LM on the bundled WikiText-2 text (its valid and test files; the last 10 % of
            paragraphs held out). --nsp adds next-sentence prediction on sentence pairs (50 % random B), as the
            paper did. --vocab N trains a WordPiece vocabulary of N tokens on the training paragraphs instead of
            using bert-base-uncased's. Reports masked-LM loss and accuracy on the held-out split; DIR (runs/bert) gets
            model/ (a Hugging Face BertForMaskedLM folder with the tokenizer), metrics.jsonl, loss.png, checkpoints/.
            """;

    static Backend backend() {
        return com.google.inject.Guice.createInjector(new T4jModule()).getInstance(Backend.class);
    }

    static int pretrain(String[] argv, PrintStream out) {
        Args a = new Args(argv, 2, Set.of("steps", "batch", "lr", "max-length", "seed", "out", "eval-every", "vocab"),
                Set.of("whole-word", "nsp", "help"));
        if (a.flag("help")) {
            out.print(PRETRAIN_HELP);
            return 0;
        }
        Backend backend = backend();
        int maxLength = a.getInt("max-length", 64);
        int steps = a.getInt("steps", 1000);
        int batch = a.getInt("batch", 32);
        long seed = a.getInt("seed", 1337);
        Path outDir = Path.of(a.get("out", "runs/bert"));
        List<String> paragraphs = new ArrayList<>();
        for (String f : List.of("wiki.valid.tokens", "wiki.test.tokens")) {
            for (String line : readLines(Home.path("data/corpora/wikitext-2/" + f))) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("=")) {
                    paragraphs.add(t);
                }
            }
        }
        int split = (int) (paragraphs.size() * 0.9);
        Path tokDir = Home.path("data/tokenizers/bert-base-uncased");
        if (a.get("vocab", null) != null) {
            long t0 = System.nanoTime();
            WordPieceTrainer.Result wp = WordPieceTrainer.train(paragraphs.subList(0, split), a.getInt("vocab", 8000), true);
            tokDir = outDir.resolve("tokenizer");
            wp.write(tokDir.resolve("tokenizer.json"));
            out.printf("trained a WordPiece vocabulary of %,d tokens on the training paragraphs in %.1f s%n",
                    wp.vocab().size(), (System.nanoTime() - t0) / 1e9);
        }
        Tokenizer tok = Tokenizer.load(tokDir);
        List<BertPretraining.Item> train;
        List<BertPretraining.Item> eval;
        if (a.flag("nsp")) {
            // documents = paragraphs, split into sentences; pairs drawn once with the run's seed
            List<List<String>> trainDocs = paragraphs.subList(0, split).stream().map(NextSentencePairs::sentences).toList();
            List<List<String>> evalDocs = paragraphs.subList(split, paragraphs.size()).stream()
                    .map(NextSentencePairs::sentences).toList();
            Generator pairGen = new Generator(seed + 7);
            train = BertPretraining.pairs(tok, NextSentencePairs.build(trainDocs, pairGen), maxLength);
            eval = BertPretraining.pairs(tok, NextSentencePairs.build(evalDocs, pairGen), maxLength);
        } else {
            train = BertPretraining.sequences(tok, paragraphs.subList(0, split), maxLength);
            eval = BertPretraining.sequences(tok, paragraphs.subList(split, paragraphs.size()), maxLength);
        }
        BertConfig base = BertConfig.preset("bert-small");
        BertConfig config = new BertConfig(tok.vocabSize(), base.hiddenSize(), base.numHiddenLayers(),
                base.numAttentionHeads(), base.intermediateSize(), "gelu", 0.1, 0.1, Math.max(128, maxLength), 2, 1e-12, 2,
                Map.of()); // positions beyond the pretraining length are there for fine-tuning inputs up to 128 tokens
        out.printf("WikiText-2: %,d paragraphs -> %,d training and %,d held-out sequences of at most %d tokens; "
                + "backend %s, %d threads%n", paragraphs.size(), train.size(), eval.size(), maxLength, backend.name(),
                backend.threads());
        try (Scope s = Scope.open("model")) {
            BertForMaskedLM model = new BertForMaskedLM(config, new Generator(seed), a.flag("nsp"));
            out.printf("model: %d layers, hidden %d, %d heads, vocabulary %,d: %,d parameters%n", config.numHiddenLayers(),
                    config.hiddenSize(), config.numAttentionHeads(), config.vocabSize(), model.parameterCount());
            int cls = tok.tokenToId("[CLS]");
            int sep = tok.tokenToId("[SEP]");
            int pad = tok.tokenToId("[PAD]");
            MaskedLanguageModeling mlm = new MaskedLanguageModeling(0.15, tok.tokenToId("[MASK]"), tok.vocabSize(),
                    id -> id == cls || id == sep || id == pad, id -> tok.idToToken(id).startsWith("##"), a.flag("whole-word"));
            BertPretraining task = new BertPretraining(model, train, eval, mlm, batch, pad, 8);
            double lr = a.getDouble("lr", 1e-3);
            AdamW opt = new AdamW(model.parameters(), lr, 0.9, 0.999, 1e-6, 0.01);
            Trainer.Result r = new Trainer(task, opt, LrSchedule.warmupLinear(lr, steps / 10, steps),
                    new Trainer.Options(steps, 1, 1.0, a.getInt("eval-every", 200), 400, 2, 0, seed, outDir)).run();
            Map<String, Double> ev = r.lastEval(); // the evaluation at the last step
            Path modelDir = outDir.resolve("model");
            BertCheckpoint.save(model, config, a.flag("nsp") ? "BertForPreTraining" : "BertForMaskedLM", modelDir);
            TokenizerFiles.copy(tokDir, modelDir);
            out.printf("held-out %s loss %.4f, masked-token accuracy %.1f %% after %d steps (ln(vocab) = %.2f)%n",
                    a.flag("nsp") ? "masked-LM + next-sentence" : "masked-LM", ev.get("loss"),
                    100 * ev.get("accuracy"), r.steps(), Math.log(config.vocabSize()));
            out.println("wrote " + modelDir + " (Hugging Face " + (a.flag("nsp") ? "BertForPreTraining" : "BertForMaskedLM")
                    + " + tokenizer), " + outDir.resolve("metrics.jsonl") + (LinePlot.available() ? ", " + outDir.resolve("loss.png") : ""));
            return 0;
        }
    }

    static final String FINETUNE_HELP = """
            usage: t4j finetune bert (--task sst2 | --train FILE --dev FILE [--text-column C] [--pair-column C]
                                     [--label-column C]) [--model DIR] [--steps N] [--batch N] [--lr X]
                                     [--max-length N] [--truncate] [--freeze] [--group-by-length] [--seed N]
                                     [--out DIR]

            Fine-tunes BERT for sentence (or pair) classification, from a t4j or Hugging Face checkpoint (default
            runs/bert/model, made by `t4j pretrain bert`). --task sst2 uses the bundled GLUE SST-2 (train.tsv,
            reporting accuracy on dev.tsv); --train/--dev take TSV, CSV or JSONL files with a header. Labels may be
            integers or names. --freeze trains only the pooler and classifier. --group-by-length draws batches of
            sentences of similar length, so less of each batch is padding. Also trains a bag-of-words logistic
            regression on the same split and reports its accuracy beside BERT's.
            """;

    static int finetune(String[] argv, PrintStream out) {
        Args a = new Args(argv, 2, Set.of("task", "train", "dev", "text-column", "pair-column", "label-column", "model",
                "steps", "batch", "lr", "max-length", "seed", "out", "eval-every"), Set.of("truncate", "freeze", "group-by-length", "help"));
        if (a.flag("help")) {
            out.print(FINETUNE_HELP);
            return 0;
        }
        Backend backend = backend();
        Path trainFile;
        Path devFile;
        if ("sst2".equals(a.get("task", null))) {
            trainFile = Home.path("data/classification/sst2/train.tsv");
            devFile = Home.path("data/classification/sst2/dev.tsv");
        } else if (a.get("task", null) != null) {
            throw new Args.UsageException("unknown task '" + a.get("task", null) + "' (sst2), or give --train and --dev");
        } else if (a.get("train", null) != null && a.get("dev", null) != null) {
            trainFile = Path.of(a.get("train", null));
            devFile = Path.of(a.get("dev", null));
        } else {
            throw new Args.UsageException("finetune bert needs --task sst2, or --train FILE and --dev FILE");
        }
        String textCol = a.get("text-column", "sentence");
        String pairCol = a.get("pair-column", null);
        String labelCol = a.get("label-column", "label");
        Map<String, Integer> labelIds = new LinkedHashMap<>();
        List<BertClassification.Example> train = LabelledData.read(trainFile, textCol, pairCol, labelCol, labelIds);
        List<BertClassification.Example> devSet = LabelledData.read(devFile, textCol, pairCol, labelCol, labelIds);
        String modelArg = a.get("model", "runs/bert/model");
        if (a.get("model", null) == null && !Files.isDirectory(Path.of(modelArg))) {
            throw new IllegalArgumentException(modelArg + " holds no checkpoint: run `t4j pretrain bert` first, or pass "
                    + "--model with a t4j or Hugging Face BERT folder (or Hub id)");
        }
        Path modelDir = ModelLocation.resolve(modelArg);
        if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new IllegalArgumentException(modelDir + " holds no checkpoint: run `t4j pretrain bert` first, or pass "
                    + "--model with a t4j or Hugging Face BERT folder");
        }
        Tokenizer tok = Tokenizer.load(Files.isRegularFile(modelDir.resolve("tokenizer.json"))
                || Files.isRegularFile(modelDir.resolve("vocab.txt")) ? modelDir : Home.path("data/tokenizers/bert-base-uncased"));
        BertConfig pre = BertCheckpoint.config(modelDir);
        Map<String, Object> raw = new LinkedHashMap<>(pre.raw());
        raw.remove("num_labels");
        Map<String, Object> id2label = new LinkedHashMap<>();
        Map<String, Object> label2id = new LinkedHashMap<>();
        labelIds.forEach((name, id) -> {
            id2label.put(Integer.toString(id), name);
            label2id.put(name, (long) id);
        });
        raw.put("id2label", id2label);
        raw.put("label2id", label2id);
        BertConfig config = new BertConfig(pre.vocabSize(), pre.hiddenSize(), pre.numHiddenLayers(), pre.numAttentionHeads(),
                pre.intermediateSize(), pre.hiddenAct(), pre.hiddenDropoutProb(), pre.attentionProbsDropoutProb(),
                pre.maxPositionEmbeddings(), pre.typeVocabSize(), pre.layerNormEps(), Math.max(2, labelIds.size()), raw);
        long seed = a.getInt("seed", 1337);
        int steps = a.getInt("steps", 1500);
        int batch = a.getInt("batch", 32);
        Path outDir = Path.of(a.get("out", "runs/bert-sst2"));
        out.printf("%s: %,d training and %,d dev examples, %d labels %s; backend %s, %d threads%n", trainFile, train.size(),
                devSet.size(), config.numLabels(), labelIds.keySet(), backend.name(), backend.threads());
        double baseline = BagOfWords.accuracy(tok, train, devSet, config.numLabels(), seed);
        out.printf("bag-of-words logistic regression baseline: dev accuracy %.2f %%%n", 100 * baseline);
        try (Scope s = Scope.open("model")) {
            BertForSequenceClassification model = new BertForSequenceClassification(config, new Generator(seed));
            List<String> fresh = BertCheckpoint.loadForFineTuning(model, modelDir);
            out.println("loaded " + modelDir + "; initialised fresh: " + (fresh.isEmpty() ? "nothing" : fresh));
            if (a.flag("freeze")) {
                model.bert.setFrozen(true);
                if (model.bert.pooler != null) {
                    model.bert.pooler.setFrozen(false);
                }
            }
            List<Tensor> trainable = model.parameters().stream().filter(Tensor::requiresGrad)
                    .toList();
            double lr = a.getDouble("lr", 1e-4);
            int maxLength = a.getInt("max-length", config.maxPositionEmbeddings());
            if (maxLength > config.maxPositionEmbeddings()) {
                throw new Args.UsageException("--max-length " + maxLength + " exceeds the model's max_position_embeddings "
                        + config.maxPositionEmbeddings());
            }
            BertClassification task = new BertClassification(model, tok, train, devSet, maxLength, a.flag("truncate"),
                    batch);
            if (a.flag("group-by-length")) {
                task.groupByLength(seed);
            }
            AdamW opt = new AdamW(trainable, lr, 0.9, 0.999, 1e-6, 0.01);
            Trainer.Result r = new Trainer(task, opt, LrSchedule.warmupLinear(lr, steps / 10, steps),
                    new Trainer.Options(steps, 1, 1.0, a.getInt("eval-every", 250), 0, 1, 0, seed, outDir)).run();
            Map<String, Double> ev = r.lastEval(); // the evaluation at the last step
            Path saved = outDir.resolve("model");
            BertCheckpoint.save(model, config, "BertForSequenceClassification", saved);
            TokenizerFiles.copy(modelDir, saved);
            out.printf("dev accuracy %.2f %% (loss %.4f) after %d steps; bag-of-words baseline %.2f %%%n",
                    100 * ev.get("accuracy"), ev.get("loss"), steps, 100 * baseline);
            out.println("wrote " + saved + " (Hugging Face BertForSequenceClassification)");
            return 0;
        }
    }

    static int predict(String[] argv, PrintStream out) {
        Args a = new Args(argv, 1, Set.of("model", "text", "pair", "input"), Set.of());
        String model = a.get("model", null);
        if (model == null || (a.get("text", null) == null && a.get("input", null) == null)) {
            throw new Args.UsageException("predict needs --model DIR and --text TEXT [--pair TEXT], or --input FILE "
                    + "(one text a line)");
        }
        dev.t4j.bert.TextClassifier classifier = new dev.t4j.bert.TextClassifier(ModelLocation.resolve(model));
        List<String> texts = a.get("input", null) != null ? readLines(Path.of(a.get("input", null)))
                : List.of(a.get("text", null));
        for (String t : texts) {
            var p = classifier.predict(t, a.get("pair", null));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("label", p.label());
            Map<String, Object> probs = new LinkedHashMap<>();
            p.probabilities().forEach((k, v) -> probs.put(k, Math.round(v * 1e6) / 1e6));
            json.put("probabilities", probs);
            out.println(dev.t4j.json.Json.write(json));
        }
        return 0;
    }

    private static List<String> readLines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

}
