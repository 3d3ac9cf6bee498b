package dev.t4j.t5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.autograd.GradMode;
import dev.t4j.generation.GenerationConfig;
import dev.t4j.memory.Scope;
import dev.t4j.nn.WeightStorage;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class T5GenerationTest {
    static final Path FIXTURE = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/t5");
    static final long[] INPUT = {644, 708, 74, 970, 976, 922, 475, 922, 275, 780, 758, 684, 127, 4, 26, 1};

    @Test
    void theDecoderCacheGivesWhatRerunningThePrefixGives() {
        try (Scope s = Scope.open("test")) {
            T5ForConditionalGeneration model = T5Checkpoint.load(FIXTURE);
            GenerationConfig greedy = GenerationConfig.greedy(12).withStopTokens(java.util.List.of());
            float[][] cached = new float[12][];
            float[][] uncached = new float[12][];
            long[] a = T5Generation.run(model, INPUT, greedy, null, cached);
            long[] b = T5Generation.run(model, INPUT, greedy.withCache(false), null, uncached);
            assertThat(a).containsExactly(b);
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < cached[i].length; j++) {
                    assertThat(Math.abs(cached[i][j] - uncached[i][j])).isLessThan(1e-4f);
                }
            }
            GenerationConfig sampled = greedy.sampling(0.9, 20, 0.9, 5);
            assertThat(T5Generation.generate(model, INPUT, sampled, null))
                    .containsExactly(T5Generation.generate(model, INPUT, sampled.withCache(false), null));
        }
    }

    @Test
    void bfloat16WeightsDecodeAsFloat32WeightsRoundedToBfloat16() {
        try (Scope s = Scope.open("test")) {
            T5ForConditionalGeneration bf16;
            try (var w = WeightStorage.set(DType.BF16)) {
                bf16 = T5Checkpoint.load(FIXTURE);
            }
            T5ForConditionalGeneration rounded = T5Checkpoint.load(FIXTURE);
            try (var g = GradMode.noGrad()) {
                for (Tensor p : rounded.parameters()) {
                    if (p.dim() >= 2) {
                        p.copy_(p.to(DType.BF16).to(DType.F32));
                    }
                }
            }
            GenerationConfig greedy = GenerationConfig.greedy(10).withStopTokens(java.util.List.of());
            float[][] a = new float[10][];
            float[][] b = new float[10][];
            assertThat(T5Generation.run(bf16, INPUT, greedy, null, a))
                    .containsExactly(T5Generation.run(rounded, INPUT, greedy, null, b));
            for (int i = 0; i < 10; i++) {
                for (int j = 0; j < a[i].length; j++) {
                    assertThat(Math.abs(a[i][j] - b[i][j])).isLessThan(1e-4f);
                }
            }
        }
    }

    @Test
    void stepLogitsEqualTheTeacherForcedForwardPass() {
        try (Scope s = Scope.open("test"); var g = GradMode.noGrad()) {
            T5ForConditionalGeneration model = T5Checkpoint.load(FIXTURE);
            model.eval();
            float[][] steps = new float[6][];
            long[] out = T5Generation.run(model, INPUT, GenerationConfig.greedy(6), null, steps);
            long[] decoderIds = new long[out.length];
            decoderIds[0] = model.config.decoderStartTokenId();
            System.arraycopy(out, 0, decoderIds, 1, out.length - 1);
            Tensor logits = model.forward(Tensor.of(INPUT, 1, INPUT.length), null,
                    Tensor.of(decoderIds, 1, decoderIds.length), null, null).logits();
            for (int i = 0; i < out.length; i++) {
                float[] row = logits.select(1, i).reshape(-1).toFloatArray();
                for (int j = 0; j < row.length; j++) {
                    assertThat(Math.abs(row[j] - steps[i][j])).isLessThan(1e-4f);
                }
            }
        }
    }

    @Test
    void beamSearchOfOneBeamIsGreedyAndWiderBeamsScoreAtLeastAsHigh() {
        try (Scope s = Scope.open("test")) {
            T5ForConditionalGeneration model = T5Checkpoint.load(FIXTURE);
            long[] greedy = T5Generation.generate(model, INPUT, GenerationConfig.greedy(8), null);
            var one = T5Generation.beamSearch(model, INPUT, 1, 8, 1.0);
            assertThat(one.tokens()).containsExactly(greedy);
            var four = T5Generation.beamSearch(model, INPUT, 4, 8, 1.0);
            assertThat(four.score()).isGreaterThanOrEqualTo(one.score() - 1e-6); // float noise between batch sizes
        }
    }
}
