package dev.t4j.cli;

import dev.t4j.autograd.GradMode;
import dev.t4j.backend.Backend;
import dev.t4j.inject.T4jModule;
import dev.t4j.memory.Scope;
import dev.t4j.metrics.MetricsLog;
import dev.t4j.optim.AdamW;
import dev.t4j.optim.WarmupCosine;
import dev.t4j.plot.LinePlot;
import dev.t4j.progress.ProgressBar;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code t4j demo}: trains the character-level Transformer on Tiny Shakespeare end to end (data, model, AdamW
 * with warmup and cosine decay, evaluation on a held-out 10%, metrics as JSONL, a loss plot, a sample), and
 * compares the validation loss with the unigram baseline it must beat.
 */
final class DemoCommand {
    private DemoCommand() {}

    private static final String HELP = """
            usage: t4j demo [--corpus FILE] [--steps N] [--batch N] [--context N] [--width N] [--layers N]
                            [--heads N] [--lr X] [--dropout X] [--eval-every N] [--seed N] [--out DIR]

            Trains a character-level Transformer (default 2 layers, width 128, 4 heads, context 64) on
            data/corpora/tinyshakespeare/input.txt, 1,000 steps of 32 sequences. Writes DIR/metrics.jsonl and
            DIR/loss.png (DIR defaults to runs/demo) and prints a generated sample.
            """;

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args(argv, 1, Set.of("corpus", "steps", "batch", "context", "width", "layers", "heads", "lr",
                "dropout", "eval-every", "seed", "out"), Set.of("help"));
        if (a.flag("help")) {
            out.print(HELP);
            return 0;
        }
        Path corpus = Path.of(a.get("corpus", Home.path("data/corpora/tinyshakespeare/input.txt").toString()));
        int steps = a.getInt("steps", 1000);
        int batch = a.getInt("batch", 32);
        int context = a.getInt("context", 64);
        double lr = a.getDouble("lr", 2e-3);
        double dropout = a.getDouble("dropout", 0.0);
        int evalEvery = a.getInt("eval-every", 100);
        long seed = a.getInt("seed", 1337);
        Path outDir = Path.of(a.get("out", "runs/demo"));
        if (steps <= 0 || batch <= 0 || evalEvery <= 0) {
            throw new Args.UsageException("--steps, --batch and --eval-every must be positive");
        }

        String text = read(corpus);
        TreeSet<Character> chars = new TreeSet<>();
        for (char ch : text.toCharArray()) {
            chars.add(ch);
        }
        char[] itos = new char[chars.size()];
        int[] stoi = new int[Character.MAX_VALUE + 1];
        int idx = 0;
        for (char ch : chars) {
            itos[idx] = ch;
            stoi[ch] = idx++;
        }
        int[] data = new int[text.length()];
        for (int i = 0; i < data.length; i++) {
            data[i] = stoi[text.charAt(i)];
        }
        int split = (int) (data.length * 0.9);
        if (split <= context + 1 || data.length - split <= context + 1) {
            throw new IllegalArgumentException(corpus + " is too short (" + data.length + " characters) for context "
                    + context);
        }
        double unigram = unigramCrossEntropy(data, split, itos.length);

        var backend = com.google.inject.Guice.createInjector(new T4jModule()).getInstance(Backend.class);
        out.printf("t4j demo: %s, %,d characters, vocabulary %d; backend %s (%d threads)%n", corpus, data.length,
                itos.length, backend.name(), backend.threads());
        try (Scope modelScope = Scope.open("model")) {
            Generator gen = new Generator(seed);
            var config = new CharTransformer.Config(itos.length, context, a.getInt("width", 128),
                    a.getInt("layers", 2), a.getInt("heads", 4));
            CharTransformer model = new CharTransformer(config, gen);
            out.printf("model: %s, %,d parameters; unigram baseline %.4f nats/char on the validation split%n", config,
                    model.parameterCount(), unigram);
            AdamW opt = new AdamW(model.parameters(), lr, 0.9, 0.99, 1e-8, 0.1);
            WarmupCosine schedule = new WarmupCosine(lr, lr / 10, Math.min(50, steps / 10), steps);
            Generator sampler = new Generator(seed + 1);
            ProgressBar bar = ProgressBar.onStderr("train", steps, "steps", evalEvery / 2);
            List<double[]> trainCurve = new ArrayList<>();
            List<double[]> evalCurve = new ArrayList<>();
            double val = Double.NaN;
            long startNanos = System.nanoTime();
            try (MetricsLog log = new MetricsLog(outDir.resolve("metrics.jsonl"))) {
                for (int step = 1; step <= steps; step++) {
                    double rate = schedule.at(step);
                    opt.setLr(rate);
                    double loss;
                    try (Scope s = Scope.open("step")) {
                        Tensor[] xy = batch(data, 0, split, batch, context, sampler);
                        Tensor l = model.forward(xy[0], sampler, dropout, true).crossEntropy(xy[1], -100);
                        l.backward();
                        opt.step();
                        opt.zeroGrad();
                        loss = l.item();
                    }
                    if (!Double.isFinite(loss)) {
                        throw new IllegalStateException("loss became " + loss + " at step " + step
                                + "; lower --lr (now " + lr + ")");
                    }
                    double seconds = (System.nanoTime() - startNanos) / 1e9;
                    double tokensPerSecond = (double) step * batch * context / seconds;
                    trainCurve.add(new double[] {step, loss, rate});
                    log.log(Map.of("step", step, "split", "train", "loss", loss, "lr", rate, "tokens_per_s",
                            tokensPerSecond));
                    if (step % evalEvery == 0 || step == steps) {
                        val = evaluate(model, data, split, batch, context, new Generator(seed + 2));
                        evalCurve.add(new double[] {step, val});
                        log.log(Map.of("step", step, "split", "val", "loss", val));
                    }
                    Map<String, String> figures = new LinkedHashMap<>();
                    figures.put("loss", String.format("%.4f", loss));
                    figures.put("val", Double.isNaN(val) ? "--" : String.format("%.4f", val));
                    figures.put("lr", String.format("%.2e", rate));
                    figures.put("tok/s", String.format("%.0f", tokensPerSecond));
                    bar.update(step, figures);
                }
            }
            plot(outDir.resolve("loss.png"), trainCurve, evalCurve, unigram);
            out.printf("validation loss %.4f nats/char after %d steps (unigram baseline %.4f): %s%n", val, steps,
                    unigram, val < unigram ? "below the baseline" : "NOT below the baseline");
            out.println("wrote " + outDir.resolve("metrics.jsonl") + " and " + outDir.resolve("loss.png"));
            try (Scope s = Scope.open("sample"); var g = GradMode.noGrad()) {
                int[] prompt = {stoi['\n']};
                int[] sample = model.sample(prompt, 300, 0.8, 20, new Generator(seed + 3));
                StringBuilder sb = new StringBuilder();
                for (int i = 1; i < sample.length; i++) {
                    sb.append(itos[sample[i]]);
                }
                out.println("--- sample ---");
                out.println(sb);
                out.println("--------------");
            }
            return val < unigram ? 0 : 1;
        }
    }

    private static String read(Path corpus) {
        try {
            return Files.readString(corpus, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus " + corpus + ": " + e.getMessage(), e);
        }
    }

    /** Random windows of {@code context + 1} characters from data[from, to): inputs and next-char targets. */
    static Tensor[] batch(int[] data, int from, int to, int batch, int context, Generator gen) {
        long[] x = new long[batch * context];
        long[] y = new long[batch * context];
        for (int b = 0; b < batch; b++) {
            int start = from + gen.nextInt(to - from - context - 1);
            for (int t = 0; t < context; t++) {
                x[b * context + t] = data[start + t];
                y[b * context + t] = data[start + t + 1];
            }
        }
        return new Tensor[] {Tensor.of(x, batch, context), Tensor.of(y, batch, context)};
    }

    private static double evaluate(CharTransformer model, int[] data, int split, int batch, int context, Generator g) {
        double sum = 0;
        int batches = 10;
        try (var noGrad = GradMode.noGrad()) {
            for (int i = 0; i < batches; i++) {
                try (Scope s = Scope.open("eval")) {
                    Tensor[] xy = batch(data, split, data.length, batch, context, g);
                    sum += model.forward(xy[0], g, 0, false).crossEntropy(xy[1], -100).item();
                }
            }
        }
        return sum / batches;
    }

    /** Cross-entropy of the validation split under the training split's character frequencies (add-one). */
    static double unigramCrossEntropy(int[] data, int split, int vocab) {
        double[] counts = new double[vocab];
        java.util.Arrays.fill(counts, 1);
        for (int i = 0; i < split; i++) {
            counts[data[i]]++;
        }
        double total = split + vocab;
        double nll = 0;
        for (int i = split; i < data.length; i++) {
            nll -= Math.log(counts[data[i]] / total);
        }
        return nll / (data.length - split);
    }

    private static void plot(Path file, List<double[]> train, List<double[]> eval, double unigram) {
        if (!LinePlot.available()) {
            System.err.println("no loss plot: this Java runtime has no java.desktop module");
            return;
        }
        double[] ts = new double[train.size()];
        double[] tl = new double[train.size()];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = train.get(i)[0];
            tl[i] = train.get(i)[1];
        }
        double[] es = new double[eval.size()];
        double[] el = new double[eval.size()];
        for (int i = 0; i < es.length; i++) {
            es[i] = eval.get(i)[0];
            el[i] = eval.get(i)[1];
        }
        new LinePlot("t4j demo: character-level Transformer on Tiny Shakespeare", "step", "loss (nats/char)")
                .add("train", ts, tl, 0x1f77b4)
                .add("validation", es, el, 0xd62728)
                .add("unigram baseline", new double[] {ts[0], ts[ts.length - 1]}, new double[] {unigram, unigram},
                        0x808080)
                .write(file, 900, 500);
    }
}
