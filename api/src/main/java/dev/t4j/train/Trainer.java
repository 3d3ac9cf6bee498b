package dev.t4j.train;

import dev.t4j.autograd.GradMode;
import dev.t4j.json.Json;
import dev.t4j.memory.Scope;
import dev.t4j.metrics.MetricsLog;
import dev.t4j.optim.Optimizer;
import dev.t4j.optim.GradClip;
import dev.t4j.optim.LrSchedule;
import dev.t4j.plot.LinePlot;
import dev.t4j.progress.ProgressBar;
import dev.t4j.safetensors.SafeTensors;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training loop every family shares: per step one memory scope, gradient accumulation over micro-batches,
 * global-norm clipping, an optimizer (AdamW, Adafactor, SGD) with a learning-rate schedule; periodic evaluation, with
 * the task's figures and any {@link EvalMetric} hooks; checkpoints every N steps (model in the family's HF format,
 * optimizer moments, and the trainer's position and data-sampler state, so a resumed run continues exactly as an
 * uninterrupted one), written atomically, the last K kept; early stopping on the loss or any other figure
 * ({@link #monitor}); {@link TrainerListener}s told every figure; a progress bar, JSONL metrics and a PNG of the losses
 * and learning rate. A NaN or infinite loss stops the run naming the step, and the last good checkpoint stays as it
 * was.
 */
public final class Trainer {
    /**
     * How to train. {@code checkpointEvery} 0 keeps only the final checkpoint; {@code patience} is how many evaluations
     * in a row may pass without the monitored figure ({@link #monitor}) improving before the run stops, 0 never.
     */
    public record Options(long steps, int accumulation, double clipNorm, int evalEvery, int checkpointEvery,
            int keepLast, int patience, long seed, Path outDir) {
        public Options {
            if (steps <= 0 || accumulation <= 0 || evalEvery <= 0 || checkpointEvery < 0 || keepLast <= 0
                    || patience < 0) {
                throw new IllegalArgumentException("training options: steps, accumulation, evalEvery and keepLast must "
                        + "be positive, checkpointEvery and patience non-negative: " + this);
            }
        }
    }

    /**
     * How a run ended: {@code lastEval} holds the last evaluation's figures ("loss" among them, empty if none ran),
     * {@code best} the best value of the monitored figure, and {@code stoppedEarly} whether early stopping or
     * {@link #stop} ended the run before its last step.
     */
    public record Result(long steps, double lastTrainLoss, double lastEvalLoss, double bestEvalLoss,
            boolean stoppedEarly, Path lastCheckpoint, Map<String, Double> lastEval, double best) {}

    private final TrainingTask task;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final Options options;
    private final List<String> names;
    private final List<Tensor> params;
    private final Generator data;
    private final Map<String, EvalMetric> metrics = new LinkedHashMap<>();
    private final List<TrainerListener> listeners = new ArrayList<>();
    private String monitored = "loss";
    private boolean greaterIsBetter;
    private volatile boolean stopRequested;
    private long step;
    private Path lastCheckpoint;

    public Trainer(TrainingTask task, Optimizer optimizer, LrSchedule schedule, Options options) {
        this.task = task;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.options = options;
        this.names = new ArrayList<>(task.model().namedParameters().keySet());
        this.params = new ArrayList<>(task.model().namedParameters().values());
        this.data = new Generator(options.seed());
    }

    public long step() {
        return step;
    }

    /** Takes {@code metric} at every evaluation, under {@code name} (not "step", "split" or one of the task's own). */
    public Trainer addMetric(String name, EvalMetric metric) {
        if (name.isBlank() || name.equals("step") || name.equals("split")) {
            throw new IllegalArgumentException("a metric cannot be named '" + name + "': metrics.jsonl uses that key");
        }
        if (metrics.putIfAbsent(name, metric) != null) {
            throw new IllegalArgumentException("a metric named '" + name + "' is already added");
        }
        return this;
    }

    public Trainer addListener(TrainerListener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * The evaluation figure early stopping watches ({@link Options#patience}) and {@link Result#best} reports:
     * "loss" (lower is better) unless told otherwise, as Hugging Face's {@code metric_for_best_model}.
     */
    public Trainer monitor(String figure, boolean greaterIsBetter) {
        this.monitored = figure;
        this.greaterIsBetter = greaterIsBetter;
        return this;
    }

    /**
     * Ends the run after the step in progress (from a listener, or from another thread): the final checkpoint is
     * written as at the last step, and the result says it stopped early.
     */
    public void stop() {
        stopRequested = true;
    }

    /** Continues from a checkpoint folder written by this trainer (model weights are the task's to load). */
    public void resumeFrom(Path checkpoint) {
        Path state = checkpoint.resolve("trainer.json");
        try {
            Map<String, Object> json = Json.parseObject(Files.readString(state), state.toString());
            step = ((Number) json.get("step")).longValue();
            @SuppressWarnings("unchecked")
            List<Object> rng = (List<Object>) json.get("data_rng");
            data.restore(new long[] {((Number) rng.get(0)).longValue(), ((Number) rng.get(1)).longValue()});
            @SuppressWarnings("unchecked")
            List<Object> position = (List<Object>) json.getOrDefault("sampler", List.of());
            long[] saved = position.stream().mapToLong(v -> ((Number) v).longValue()).toArray();
            if (task.sampler() != null) {
                task.sampler().restore(saved);
            } else if (saved.length != 0) {
                throw new IllegalArgumentException(state + " holds a sampler's position (" + saved.length
                        + " numbers), but " + task.getClass().getName() + " has no sampler");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + state + ": " + e.getMessage(), e);
        }
        try (SafeTensors st = SafeTensors.open(checkpoint.resolve("optimizer.safetensors"))) {
            Map<String, Tensor> s = new LinkedHashMap<>();
            for (String n : st.names()) {
                s.put(n, st.view(n));
            }
            optimizer.loadState(s, names);
        }
        lastCheckpoint = checkpoint;
    }

    public Result run() {
        Path out = options.outDir();
        ProgressBar bar = ProgressBar.onStderr("train", options.steps(), "steps", Math.max(1, options.evalEvery() / 2));
        List<double[]> trainCurve = new ArrayList<>();
        List<double[]> evalCurve = new ArrayList<>();
        double loss = Double.NaN;
        double eval = Double.NaN;
        double bestLoss = Double.POSITIVE_INFINITY;
        double best = greaterIsBetter ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        Map<String, Double> lastEval = Map.of();
        int sinceBest = 0;
        boolean early = false;
        long startStep = step;
        long started = System.nanoTime();
        stopRequested = false;
        task.model().train(true); // dropout on while training (checkpoint loaders hand models over in eval mode)
        try (MetricsLog log = new MetricsLog(out.resolve("metrics.jsonl"))) {
            while (step < options.steps()) {
                step++;
                double lr = schedule.at(step);
                optimizer.setLr(lr);
                double norm;
                try (Scope s = Scope.open("step")) {
                    double sum = 0;
                    for (int micro = 0; micro < options.accumulation(); micro++) {
                        Tensor l = task.trainLoss(data);
                        l.mul(1.0 / options.accumulation()).backward();
                        sum += l.item();
                    }
                    loss = sum / options.accumulation();
                    if (!Double.isFinite(loss)) {
                        throw new IllegalStateException("the training loss became " + loss + " at step " + step
                                + "; stopping. " + (lastCheckpoint == null ? "No checkpoint was written yet."
                                : "The last good checkpoint is " + lastCheckpoint + "."));
                    }
                    norm = GradClip.clipGlobalNorm(params, options.clipNorm());
                    optimizer.step();
                    optimizer.zeroGrad();
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                double rate = (step - startStep) * (double) task.itemsPerBatch() * options.accumulation() / seconds;
                trainCurve.add(new double[] {step, loss, lr});
                Map<String, Double> trained = new LinkedHashMap<>();
                trained.put("loss", loss);
                trained.put("lr", lr);
                trained.put("grad_norm", norm);
                trained.put("items_per_s", rate);
                trained = Collections.unmodifiableMap(trained); // one view for the log and every listener
                log.log(row(step, "train", trained));
                for (TrainerListener l : listeners) {
                    l.onStep(step, trained);
                }
                if (step % options.evalEvery() == 0 || step == options.steps()) {
                    lastEval = Collections.unmodifiableMap(evaluate());
                    eval = lastEval.get("loss");
                    evalCurve.add(new double[] {step, eval});
                    log.log(row(step, "eval", lastEval));
                    for (TrainerListener l : listeners) {
                        l.onEvaluation(step, lastEval);
                    }
                    bestLoss = Math.min(bestLoss, eval);
                    Double watched = lastEval.get(monitored);
                    if (watched == null) {
                        throw new IllegalArgumentException("cannot monitor '" + monitored + "': the evaluation gives "
                                + lastEval.keySet());
                    }
                    if (greaterIsBetter ? watched > best : watched < best) { // NaN never improves
                        best = watched;
                        sinceBest = 0;
                    } else if (options.patience() > 0 && ++sinceBest >= options.patience()) {
                        early = true;
                    }
                }
                if (options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0 && step < options.steps()) {
                    checkpoint();
                }
                Map<String, String> figures = new LinkedHashMap<>();
                figures.put("loss", String.format(Locale.ROOT, "%.4f", loss));
                figures.put("eval", Double.isNaN(eval) ? "--" : String.format(Locale.ROOT, "%.4f", eval));
                lastEval.forEach((name, v) -> {
                    if (!name.equals("loss")) {
                        figures.put(name, String.format(Locale.ROOT, "%.4f", v));
                    }
                });
                figures.put("lr", String.format(Locale.ROOT, "%.2e", lr));
                figures.put(task.itemUnit() + "/s", String.format(Locale.ROOT, "%.0f", rate));
                bar.update(step, figures);
                if (early || stopRequested) {
                    early = step < options.steps();
                    break;
                }
            }
        }
        checkpoint();
        plot(out.resolve("loss.png"), trainCurve, evalCurve);
        return new Result(step, loss, eval, bestLoss, early, lastCheckpoint, lastEval, best);
    }

    /** The task's figures ("loss" first), then the hooks', without gradients and in evaluation mode. */
    private Map<String, Double> evaluate() {
        boolean training = task.model().isTraining();
        task.model().eval();
        try (var g = GradMode.noGrad(); Scope s = Scope.open("eval")) {
            Map<String, Double> taken = task.evalMetrics();
            if (!taken.containsKey("loss")) {
                throw new IllegalStateException(task.getClass().getName() + ".evalMetrics() gave no \"loss\": "
                        + taken.keySet());
            }
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("loss", taken.get("loss"));
            figures.putAll(taken);
            for (var m : metrics.entrySet()) {
                if (figures.containsKey(m.getKey())) {
                    throw new IllegalStateException("the metric hook '" + m.getKey() + "' has the name of a figure "
                            + "the task gives already: " + taken.keySet());
                }
                figures.put(m.getKey(), m.getValue().compute());
            }
            return figures;
        } finally {
            task.model().train(training);
        }
    }

    private static Map<String, Object> row(long step, String split, Map<String, Double> figures) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("split", split);
        row.putAll(figures);
        return row;
    }

    /** Writes out/checkpoints/step-N atomically (a temporary folder renamed), then prunes to the last K. */
    private void checkpoint() {
        Path root = options.outDir().resolve("checkpoints");
        Path target = root.resolve(String.format(Locale.ROOT, "step-%08d", step));
        Path tmp = root.resolve(target.getFileName() + ".tmp");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            task.saveModel(tmp);
            SafeTensors.write(tmp.resolve("optimizer.safetensors"), optimizer.state(names), Map.of("format", "pt"));
            long[] rng = data.state();
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("step", step);
            state.put("data_rng", List.of(rng[0], rng[1]));
            long[] position = task.sampler() == null ? new long[0] : task.sampler().state();
            if (position.length > 0) {
                state.put("sampler", java.util.Arrays.stream(position).boxed().toList());
            }
            Files.writeString(tmp.resolve("trainer.json"), Json.writePretty(state));
            deleteTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            lastCheckpoint = target;
            try (Stream<Path> all = Files.list(root)) {
                List<Path> done = all.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                        .sorted(Comparator.comparing(Path::toString)).toList();
                for (int i = 0; i < done.size() - options.keepLast(); i++) {
                    deleteTree(done.get(i));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    private static void plot(Path file, List<double[]> train, List<double[]> eval) {
        if (train.isEmpty()) {
            return;
        }
        if (!LinePlot.available()) {
            System.err.println("no loss plot: this Java runtime has no java.desktop module (metrics are in the JSONL)");
            return;
        }
        double[] s = new double[train.size()];
        double[] l = new double[train.size()];
        double[] lr = new double[train.size()];
        double maxLr = 0;
        double maxLoss = 0;
        for (int i = 0; i < s.length; i++) {
            s[i] = train.get(i)[0];
            l[i] = train.get(i)[1];
            lr[i] = train.get(i)[2];
            maxLr = Math.max(maxLr, lr[i]);
            maxLoss = Math.max(maxLoss, l[i]);
        }
        double[] es = new double[eval.size()];
        double[] el = new double[eval.size()];
        for (int i = 0; i < es.length; i++) {
            es[i] = eval.get(i)[0];
            el[i] = eval.get(i)[1];
        }
        // the learning rate drawn on the loss axis, scaled so its peak sits at the top of the train curve
        double[] lrScaled = new double[lr.length];
        for (int i = 0; i < lr.length; i++) {
            lrScaled[i] = maxLr > 0 ? lr[i] / maxLr * maxLoss : 0;
        }
        new LinePlot("training", "step", "loss").add("train loss", s, l, 0x1f77b4)
                .add("eval loss", es, el, 0xd62728)
                .add(String.format(Locale.ROOT, "lr (peak %.1e, scaled)", maxLr), s, lrScaled, 0x969696)
                .write(file, 900, 500);
    }
}
