package dev.t4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withPrecision;

import dev.t4j.autograd.GradMode;
import dev.t4j.json.Json;
import dev.t4j.memory.Scope;
import dev.t4j.nn.Linear;
import dev.t4j.nn.Module;
import dev.t4j.optim.AdamW;
import dev.t4j.optim.LrSchedule;
import dev.t4j.safetensors.SafeTensors;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    /** A two-layer MLP regressing a fixed random target: small, fast, and sensitive to every detail of the loop. */
    static final class Mlp extends Module {
        final Linear a;
        final Linear b;

        Mlp(long seed) {
            Generator g = new Generator(seed);
            a = child("a", new Linear(6, 16, true, Linear.Layout.OUT_IN, g, 0.3));
            b = child("b", new Linear(16, 3, true, Linear.Layout.OUT_IN, g, 0.3));
        }
    }

    static final class Task implements TrainingTask {
        final Mlp model;
        final Tensor w = Tensor.randn(new Generator(5), 6, 3);
        double poison = 0;
        DoubleSupplier score; // a second evaluation figure, as a classifier's accuracy; null: the loss alone
        ExampleSampler epochs; // batches of a fixed 20-row dataset, each row once an epoch; null: fresh random rows

        Task(long seed) {
            model = new Mlp(seed);
        }

        @Override
        public Module model() {
            return model;
        }

        @Override
        public Tensor trainLoss(Generator data) {
            float[] x = new float[8 * 6];
            if (epochs != null) {
                float[] dataset = Tensor.randn(new Generator(11), 20, 6).toFloatArray();
                int[] rows = epochs.next(data, 8);
                for (int r = 0; r < 8; r++) {
                    System.arraycopy(dataset, rows[r] * 6, x, r * 6, 6);
                }
            }
            for (int i = 0; i < x.length && epochs == null; i++) {
                x[i] = (float) data.nextGaussian();
            }
            Tensor input = Tensor.of(x, 8, 6);
            Tensor target = input.matmul(w).tanh();
            Tensor diff = model.b.forward(model.a.forward(input).geluTanh()).sub(target);
            return diff.mul(diff).mean().add(poison);
        }

        @Override
        public double evalLoss() {
            return trainLoss(new Generator(99)).item();
        }

        @Override
        public Map<String, Double> evalMetrics() {
            if (score == null) {
                return TrainingTask.super.evalMetrics();
            }
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("loss", evalLoss());
            figures.put("score", score.getAsDouble());
            return figures;
        }

        @Override
        public long itemsPerBatch() {
            return 8;
        }

        @Override
        public ExampleSampler sampler() {
            return epochs;
        }

        @Override
        public void saveModel(Path dir) {
            SafeTensors.write(dir.resolve("model.safetensors"), model.namedParameters(), Map.of("format", "pt"));
        }

        void loadModel(Path dir) {
            try (SafeTensors st = SafeTensors.open(dir.resolve("model.safetensors"))) {
                Map<String, Tensor> m = new LinkedHashMap<>();
                st.names().forEach(n -> m.put(n, st.view(n)));
                model.load(m, true);
            }
        }
    }

    private static Trainer trainer(Task task, long steps, int checkpointEvery, Path out) {
        return trainer(task, steps, checkpointEvery, 0, out);
    }

    private static Trainer trainer(Task task, long steps, int checkpointEvery, int patience, Path out) {
        AdamW opt = new AdamW(task.model().parameters(), 3e-2, 0.9, 0.99, 1e-8, 0.01);
        return new Trainer(task, opt, LrSchedule.named("cosine", 3e-2, 5, 40), new Trainer.Options(steps, 2, 1.0, 10,
                checkpointEvery, 2, patience, 7, out));
    }

    /** Hands out the given values in turn, one per call. */
    private static DoubleSupplier sequence(double... values) {
        AtomicInteger next = new AtomicInteger();
        return () -> values[next.getAndIncrement()];
    }

    private static float[] flat(Module m) {
        return Tensor.cat(0, m.parameters().stream().map(Tensor::flatten).toArray(Tensor[]::new)).toFloatArray();
    }

    @Test
    void aResumedRunEndsBitForBitWhereAnUninterruptedOneDoes(@TempDir Path dir) throws Exception {
        try (Scope s = Scope.open("test")) {
            Task straight = new Task(1);
            Trainer.Result r = trainer(straight, 40, 20, dir.resolve("a")).run();
            assertThat(r.lastTrainLoss()).isLessThan(0.5 * straight.evalLoss() + r.lastTrainLoss()); // ran and logged
            Path mid = dir.resolve("a/checkpoints/step-00000020");
            assertThat(mid).isDirectory();
            assertThat(Files.readString(mid.resolve("trainer.json"))).contains("\"step\": 20");

            Task resumed = new Task(2); // different initial weights: everything must come from the checkpoint
            resumed.loadModel(mid);
            Trainer t = trainer(resumed, 40, 20, dir.resolve("b"));
            t.resumeFrom(mid);
            t.run();
            assertThat(flat(resumed.model)).containsExactly(flat(straight.model));
        }
    }

    @Test
    void trainingReducesTheLossAndKeepsOnlyTheLastCheckpoints(@TempDir Path dir) throws Exception {
        try (Scope s = Scope.open("test")) {
            Task task = new Task(3);
            double before = task.evalLoss();
            Trainer.Result r = trainer(task, 40, 10, dir).run();
            assertThat(r.lastEvalLoss()).isLessThan(before * 0.5);
            try (Stream<Path> ls = Files.list(dir.resolve("checkpoints"))) {
                assertThat(ls.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactly("step-00000030", "step-00000040");
            }
            List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
            assertThat(metrics).hasSize(40 + 4);
            assertThat(metrics.getFirst()).contains("\"split\": \"train\"").contains("\"grad_norm\"");
            assertThat(Files.size(dir.resolve("loss.png"))).isPositive();
        }
    }

    @Test
    void aNanLossStopsNamingTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        try (Scope s = Scope.open("test")) {
            Task task = new Task(4);
            trainer(task, 10, 5, dir).run();
            Path good = dir.resolve("checkpoints/step-00000010");
            byte[] before = Files.readAllBytes(good.resolve("model.safetensors"));
            task.poison = Double.NaN;
            Trainer t = trainer(task, 20, 5, dir);
            t.resumeFrom(good);
            assertThatThrownBy(t::run).hasMessageContaining("at step 11").hasMessageContaining(good.toString());
            assertThat(Files.readAllBytes(good.resolve("model.safetensors"))).isEqualTo(before);
        }
    }

    @Test
    void metricHooksAreTakenAtEachEvaluationWithoutGradientsAndReachTheLogTheListenersAndTheResult(@TempDir Path dir)
            throws Exception {
        try (Scope s = Scope.open("test")) {
            Task task = new Task(6);
            task.score = sequence(0.5, 0.6, 0.7, 0.8);
            AtomicInteger calls = new AtomicInteger();
            List<Long> steps = new ArrayList<>();
            Map<Long, Map<String, Double>> evaluations = new LinkedHashMap<>();
            Trainer trainer = trainer(task, 40, 0, dir).addMetric("hook", () -> {
                assertThat(GradMode.isEnabled()).as("gradients while a metric is taken").isFalse();
                assertThat(task.model.isTraining()).as("training mode while a metric is taken").isFalse();
                return calls.incrementAndGet();
            }).addListener(new TrainerListener() {
                @Override
                public void onStep(long step, Map<String, Double> figures) {
                    assertThat(figures).containsOnlyKeys("loss", "lr", "grad_norm", "items_per_s");
                    steps.add(step);
                }

                @Override
                public void onEvaluation(long step, Map<String, Double> figures) {
                    evaluations.put(step, Map.copyOf(figures));
                }
            });
            Trainer.Result r = trainer.run();

            assertThat(steps).isEqualTo(LongStream.rangeClosed(1, 40).boxed().toList());
            assertThat(evaluations).containsOnlyKeys(10L, 20L, 30L, 40L);
            assertThat(evaluations.get(10L)).containsEntry("score", 0.5).containsEntry("hook", 1.0);
            assertThat(evaluations.get(40L)).containsEntry("score", 0.8).containsEntry("hook", 4.0);
            assertThat(r.lastEval()).containsExactlyInAnyOrderEntriesOf(evaluations.get(40L));
            assertThat(r.lastEval().keySet()).containsExactly("loss", "score", "hook");
            assertThat(r.lastEvalLoss()).isEqualTo(r.lastEval().get("loss"));
            // metrics.jsonl: each evaluation row carries every figure the listeners got
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
                Map<String, Object> row = Json.parseObject(line, "metrics.jsonl");
                if ("eval".equals(row.get("split"))) {
                    rows.add(row);
                }
            }
            assertThat(rows).hasSize(4);
            for (Map<String, Object> row : rows) {
                Map<String, Double> got = evaluations.get(((Number) row.get("step")).longValue());
                assertThat(row.keySet()).containsExactly("step", "split", "loss", "score", "hook");
                for (String k : got.keySet()) {
                    assertThat(((Number) row.get(k)).doubleValue()).isCloseTo(got.get(k), withPrecision(1e-5 * Math.abs(
                            got.get(k))));
                }
            }
        }
    }

    @Test
    void earlyStoppingWatchesTheMonitoredFigureInTheDirectionAsked(@TempDir Path dir) {
        try (Scope s = Scope.open("test")) {
            double[] scores = {1.0, 2.0, 1.5, 1.2, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5};
            Task up = new Task(7);
            up.score = sequence(scores);
            Trainer.Result higher = trainer(up, 100, 0, 2, dir.resolve("up")).monitor("score", true).run();
            assertThat(higher.steps()).isEqualTo(40); // best 2.0 at step 20, then two evaluations below it
            assertThat(higher.stoppedEarly()).isTrue();
            assertThat(higher.best()).isEqualTo(2.0);

            Task down = new Task(7);
            down.score = sequence(scores);
            Trainer.Result lower = trainer(down, 100, 0, 2, dir.resolve("down")).monitor("score", false).run();
            assertThat(lower.steps()).isEqualTo(30); // best 1.0 at step 10, then 2.0 and 1.5 above it
            assertThat(lower.best()).isEqualTo(1.0);
            assertThat(dir.resolve("down/checkpoints/step-00000030")).isDirectory();
        }
    }

    @Test
    void aMonitoredFigureTheEvaluationDoesNotGiveFailsNamingTheOnesItDoes(@TempDir Path dir) {
        try (Scope s = Scope.open("test")) {
            Trainer t = trainer(new Task(8), 20, 0, 1, dir).monitor("accuracy", true);
            assertThatThrownBy(t::run).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot monitor 'accuracy'").hasMessageContaining("[loss]");
        }
    }

    @Test
    void aListenerCanEndTheRunWhichKeepsItsFinalCheckpoint(@TempDir Path dir) {
        try (Scope s = Scope.open("test")) {
            Trainer[] trainer = new Trainer[1];
            trainer[0] = trainer(new Task(9), 40, 0, dir).addListener(new TrainerListener() {
                @Override
                public void onStep(long step, Map<String, Double> figures) {
                    if (step == 7) {
                        trainer[0].stop();
                    }
                }
            });
            Trainer.Result r = trainer[0].run();
            assertThat(r.steps()).isEqualTo(7);
            assertThat(r.stoppedEarly()).isTrue();
            assertThat(r.lastCheckpoint()).isEqualTo(dir.resolve("checkpoints/step-00000007"));
            assertThat(r.lastCheckpoint().resolve("trainer.json")).content().contains("\"step\": 7");
        }
    }

    @Test
    void aMetricNamedAsAFigureTheTaskGivesOrAsALogKeyIsRefused(@TempDir Path dir) {
        try (Scope s = Scope.open("test")) {
            Task task = new Task(10);
            task.score = () -> 0.5;
            Trainer t = trainer(task, 10, 0, dir).addMetric("score", () -> 1.0);
            assertThatThrownBy(t::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'score'").hasMessageContaining("[loss, score]");
            assertThatThrownBy(() -> trainer(task, 10, 0, dir).addMetric("split", () -> 1.0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'split'");
            Trainer twice = trainer(task, 10, 0, dir).addMetric("hook", () -> 1.0);
            assertThatThrownBy(() -> twice.addMetric("hook", () -> 2.0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already");
        }
    }

    @Test
    void aRunDrawingEpochsResumesMidEpochBitForBit(@TempDir Path dir) throws Exception {
        try (Scope s = Scope.open("test")) {
            Task straight = new Task(11);
            straight.epochs = new ExampleSampler(20);
            trainer(straight, 30, 13, dir.resolve("a")).run(); // 2 x 8 rows a step: step 26 ends 16 rows into an epoch
            Path mid = dir.resolve("a/checkpoints/step-00000026");
            assertThat(mid.resolve("trainer.json")).content().contains("\"sampler\"");

            Task resumed = new Task(12);
            resumed.epochs = new ExampleSampler(20);
            resumed.loadModel(mid);
            Trainer t = trainer(resumed, 30, 13, dir.resolve("b"));
            t.resumeFrom(mid);
            t.run();
            assertThat(flat(resumed.model)).containsExactly(flat(straight.model));
            assertThat(resumed.epochs.state()).isEqualTo(straight.epochs.state());
        }
    }

    @Test
    void aTaskWithoutASamplerRefusesACheckpointHoldingASamplersPosition(@TempDir Path dir) {
        try (Scope s = Scope.open("test")) {
            Task sampled = new Task(13);
            sampled.epochs = new ExampleSampler(20);
            Trainer.Result r = trainer(sampled, 10, 0, dir.resolve("a")).run();
            Trainer plain = trainer(new Task(13), 20, 0, dir.resolve("b"));
            assertThatThrownBy(() -> plain.resumeFrom(r.lastCheckpoint())).hasMessageContaining("4 numbers")
                    .hasMessageContaining("has no sampler");
        }
    }
}
