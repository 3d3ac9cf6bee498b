package dev.t4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
            for (int i = 0; i < x.length; i++) {
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
        public long itemsPerBatch() {
            return 8;
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
        AdamW opt = new AdamW(task.model().parameters(), 3e-2, 0.9, 0.99, 1e-8, 0.01);
        return new Trainer(task, opt, LrSchedule.named("cosine", 3e-2, 5, 40), new Trainer.Options(steps, 2, 1.0, 10,
                checkpointEvery, 2, 0, 7, out));
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
}
