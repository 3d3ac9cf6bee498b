package dev.t4j.gpt;

import dev.t4j.generation.GenerationConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.nn.WeightStorage;
import dev.t4j.tensor.DType;
import dev.t4j.safetensors.SafeTensors;
import dev.t4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GptModelTest {
    private static final Path FIXTURE = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/gpt2");
    private static final long[] PROMPT = {168, 652, 910, 256, 170, 22, 93, 144};
    private Scope scope;

    @BeforeEach
    void open() {
        scope = Scope.open("test");
    }

    @AfterEach
    void close() {
        scope.close();
    }

    @Test
    void generationWithTheCacheEqualsGenerationWithout() {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        GenerationConfig greedy = GenerationConfig.greedy(24);
        float[][] cached = new float[24][];
        float[][] uncached = new float[24][];
        long[] a = TextGeneration.run(model, PROMPT, greedy, null, cached);
        long[] b = TextGeneration.run(model, PROMPT, greedy.withCache(false), null, uncached);
        assertThat(a).containsExactly(b);
        for (int i = 0; i < 24; i++) {
            for (int j = 0; j < cached[i].length; j++) {
                assertThat(Math.abs(cached[i][j] - uncached[i][j])).isLessThan(1e-4f);
            }
        }
        GenerationConfig sampled = greedy.sampling(0.9, 50, 0.95, 7).withMinP(0.01).withRepetitionPenalty(1.3, 3);
        assertThat(TextGeneration.generate(model, PROMPT, sampled, null))
                .containsExactly(TextGeneration.generate(model, PROMPT, sampled.withCache(false), null));
    }

    @Test
    void bfloat16WeightsGenerateAsFloat32WeightsRoundedToBfloat16() {
        GPT2LMHeadModel bf16;
        try (var w = WeightStorage.set(DType.BF16)) {
            bf16 = GPT2Checkpoint.load(FIXTURE);
        }
        assertThat(bf16.transformer.wte.weight().dtype()).isEqualTo(DType.BF16);
        GPT2LMHeadModel rounded = GPT2Checkpoint.load(FIXTURE);
        try (var g = GradMode.noGrad()) {
            for (Tensor p : rounded.parameters()) {
                if (p.dim() >= 2) {
                    p.copy_(p.to(DType.BF16).to(DType.F32));
                }
            }
        }
        float[][] a = new float[12][];
        float[][] b = new float[12][];
        // with the cache (one-row products) and without (the prompt and every prefix as many-row products)
        for (boolean cache : new boolean[] {true, false}) {
            long[] x = TextGeneration.run(bf16, PROMPT, GenerationConfig.greedy(12).withCache(cache), null, a);
            long[] y = TextGeneration.run(rounded, PROMPT, GenerationConfig.greedy(12).withCache(cache), null, b);
            assertThat(x).containsExactly(y);
            for (int i = 0; i < 12; i++) {
                for (int j = 0; j < a[i].length; j++) {
                    assertThat(Math.abs(a[i][j] - b[i][j])).isLessThan(1e-4f);
                }
            }
        }
    }

    @Test
    void fusedAttentionGivesTheMaterialisedLogitsAndGradients() {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        model.eval();
        Tensor ids = Tensor.of(PROMPT, 1, PROMPT.length);
        float[][] logits = new float[2][];
        float[][] grads = new float[2][];
        String[] modes = {"materialised", "fused"};
        for (int m = 0; m < 2; m++) {
            System.setProperty("t4j.attention", modes[m]);
            try {
                model.zeroGrad();
                Tensor out = model.forward(ids, null, false, null).logits();
                logits[m] = out.toFloatArray();
                GPT2LMHeadModel.causalLmLoss(out, ids).backward();
                grads[m] = model.namedParameters().get("transformer.h.0.attn.c_attn.weight").grad().toFloatArray();
            } finally {
                System.clearProperty("t4j.attention");
            }
        }
        for (int i = 0; i < logits[0].length; i++) {
            assertThat(Math.abs(logits[0][i] - logits[1][i])).isLessThan(1e-4f);
        }
        for (int i = 0; i < grads[0].length; i++) {
            assertThat(Math.abs(grads[0][i] - grads[1][i])).isLessThan(1e-5f);
        }
    }

    @Test
    void theLossWithoutLogitsEqualsTheLossOfTheLogitsAndSoDoEveryGradient() {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        Tensor ids = Tensor.of(PROMPT, 1, PROMPT.length);
        int t = PROMPT.length - 1;
        Tensor input = ids.narrow(1, 0, t).contiguous();
        long[] next = ids.narrow(1, 1, t).contiguous().toLongArray();
        next[2] = -100; // an ignored position
        Tensor targets = Tensor.of(next, 1, t);
        double[] losses = new double[2];
        java.util.List<java.util.Map<String, float[]>> grads = new java.util.ArrayList<>();
        for (int m = 0; m < 2; m++) {
            model.zeroGrad();
            Tensor loss = m == 0 ? model.forward(input, null, false).logits().crossEntropy(targets, -100)
                    : model.loss(input, null, targets);
            losses[m] = loss.item();
            loss.backward();
            java.util.Map<String, float[]> g = new java.util.TreeMap<>();
            model.namedParameters().forEach((name, p) -> g.put(name, p.grad().toFloatArray()));
            grads.add(g);
        }
        assertThat(losses[1]).isCloseTo(losses[0], org.assertj.core.data.Offset.offset(1e-5));
        assertThat(grads.get(1).keySet()).isEqualTo(grads.get(0).keySet()).contains("transformer.wte.weight");
        for (String name : grads.get(0).keySet()) {
            float[] a = grads.get(0).get(name);
            float[] b = grads.get(1).get(name);
            for (int i = 0; i < a.length; i++) {
                assertThat(Math.abs(a[i] - b[i])).as("%s[%d]", name, i).isLessThan(1e-5f + 1e-4f * Math.abs(a[i]));
            }
        }
    }

    @Test
    void samplingIsSeededAndStreamsEveryToken() {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        GenerationConfig c = GenerationConfig.greedy(16).sampling(1.0, 0, 1.0, 42);
        List<Long> streamed = new ArrayList<>();
        long[] first = TextGeneration.generate(model, PROMPT, c, streamed::add);
        assertThat(TextGeneration.generate(model, PROMPT, c, null)).containsExactly(first);
        assertThat(streamed).hasSize(16);
        assertThat(streamed.getLast()).isEqualTo(first[first.length - 1]);
        long[] other = TextGeneration.generate(model, PROMPT, c.sampling(1.0, 0, 1.0, 43), null);
        assertThat(other).isNotEqualTo(first);
        // top-k 1 is greedy whatever the seed
        assertThat(TextGeneration.generate(model, PROMPT, c.sampling(1.0, 1, 1.0, 99), null))
                .containsExactly(TextGeneration.generate(model, PROMPT, GenerationConfig.greedy(16), null));
    }

    @Test
    void stopTokensAndNoRepeatNgramsAreHonoured() {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        long[] greedy = TextGeneration.generate(model, PROMPT, GenerationConfig.greedy(20), null);
        long stop = greedy[PROMPT.length + 3];
        long[] stopped = TextGeneration.generate(model, PROMPT, GenerationConfig.greedy(20).withStopTokens(List.of(stop)),
                null);
        assertThat(stopped[stopped.length - 1]).isEqualTo(stop);
        assertThat(stopped.length).isLessThanOrEqualTo(PROMPT.length + 4);
        long[] noRepeat = TextGeneration.generate(model, PROMPT,
                GenerationConfig.greedy(40).withRepetitionPenalty(1, 2), null);
        java.util.Set<String> bigrams = new java.util.HashSet<>();
        for (int i = 0; i + 1 < noRepeat.length; i++) {
            assertThat(bigrams.add(noRepeat[i] + "," + noRepeat[i + 1])).as("bigram at %d repeats", i).isTrue();
        }
    }

    @Test
    void savedCheckpointsReloadToTheSameModel(@TempDir Path dir) throws Exception {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        GPT2Checkpoint.save(model, dir);
        try (SafeTensors st = SafeTensors.open(dir.resolve("model.safetensors"))) {
            assertThat(st.metadata()).containsEntry("format", "pt");
            assertThat(st.names()).contains("transformer.wte.weight").doesNotContain("lm_head.weight");
        }
        assertThat(Files.readString(dir.resolve("config.json"))).contains("\"model_type\": \"gpt2\"")
                .contains("\"n_inner\": null");
        GPT2LMHeadModel again = GPT2Checkpoint.load(dir);
        try (var g = GradMode.noGrad()) {
            Tensor ids = Tensor.of(PROMPT, 1, PROMPT.length);
            assertThat(again.forward(ids, null, false).logits().toFloatArray())
                    .containsExactly(model.forward(ids, null, false).logits().toFloatArray());
        }
    }

    @Test
    void badInputGetsClearErrors() {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        long[] tooLong = new long[129];
        assertThatThrownBy(() -> TextGeneration.generate(model, tooLong, GenerationConfig.greedy(1), null))
                .hasMessageContaining("129 tokens").hasMessageContaining("128");
        assertThatThrownBy(() -> GPT2Config.preset("gpt5")).hasMessageContaining("unknown GPT preset 'gpt5'");
        Path bert = FIXTURE.resolveSibling("bert-mlm");
        assertThatThrownBy(() -> GPT2Checkpoint.load(bert)).hasMessageContaining("'bert' model, not GPT-2");
        assertThatThrownBy(() -> new GPT2Config(10, 8, 30, 1, 4, 120, "gelu_new", 1e-5, 0, 0, 0, java.util.Map.of()))
                .hasMessageContaining("n_embd 30 is not divisible by n_head 4");
    }

    @Test
    void shardedCheckpointsLoadThroughTheirIndex(@TempDir Path dir) throws Exception {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        var params = model.namedParameters();
        java.util.Map<String, Tensor> first = new java.util.LinkedHashMap<>();
        java.util.Map<String, Tensor> second = new java.util.LinkedHashMap<>();
        java.util.Map<String, Object> weightMap = new java.util.LinkedHashMap<>();
        int k = 0;
        for (var e : params.entrySet()) {
            boolean one = k++ % 2 == 0;
            (one ? first : second).put(e.getKey(), e.getValue());
            weightMap.put(e.getKey(), one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), first, java.util.Map.of("format", "pt"));
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), second, java.util.Map.of("format", "pt"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                dev.t4j.json.Json.write(java.util.Map.of("metadata", java.util.Map.of(), "weight_map", weightMap)));
        Files.copy(FIXTURE.resolve("config.json"), dir.resolve("config.json"));
        GPT2LMHeadModel sharded = GPT2Checkpoint.load(dir);
        try (var g = GradMode.noGrad()) {
            Tensor ids = Tensor.of(PROMPT, 1, PROMPT.length);
            assertThat(sharded.forward(ids, null, false).logits().toFloatArray())
                    .containsExactly(model.forward(ids, null, false).logits().toFloatArray());
        }
        weightMap.put("transformer.wte.weight", "model-00002-of-00002.safetensors");
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                dev.t4j.json.Json.write(java.util.Map.of("weight_map", weightMap)));
        assertThatThrownBy(() -> GPT2Checkpoint.load(dir)).hasMessageContaining("'transformer.wte.weight'")
                .hasMessageContaining("which lacks it");
    }

    @Test
    void beamSearchOfOneBeamIsGreedyAndWiderBeamsScoreAtLeastAsHigh() {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        long[] greedy = TextGeneration.generate(model, PROMPT, GenerationConfig.greedy(10), null);
        var one = TextGeneration.beamSearch(model, PROMPT, 1, 10, 1.0, new long[0]);
        assertThat(one.tokens()).containsExactly(java.util.Arrays.copyOfRange(greedy, PROMPT.length, greedy.length));
        var four = TextGeneration.beamSearch(model, PROMPT, 4, 10, 1.0, new long[0]);
        assertThat(four.tokens()).hasSize(10);
        assertThat(four.score()).isGreaterThanOrEqualTo(one.score() - 1e-6); // float noise between batch sizes
    }

    @Test
    void leftPaddedBatchesGenerateWhatEachPromptGeneratesAlone() {
        GPT2LMHeadModel model = GPT2Checkpoint.load(FIXTURE);
        List<long[]> prompts = List.of(PROMPT, new long[] {652, 910, 256}, new long[] {93, 144, 449, 304, 538});
        List<long[]> batch = TextGeneration.generateBatch(model, prompts, GenerationConfig.greedy(12), 0);
        for (int r = 0; r < prompts.size(); r++) {
            assertThat(batch.get(r)).as("row %d", r)
                    .containsExactly(TextGeneration.generate(model, prompts.get(r), GenerationConfig.greedy(12), null));
        }
        long stop = batch.get(1)[prompts.get(1).length + 2];
        List<long[]> stopped = TextGeneration.generateBatch(model, prompts,
                GenerationConfig.greedy(12).withStopTokens(List.of(stop)), 0);
        assertThat(stopped.get(1)).containsExactly(java.util.Arrays.copyOf(batch.get(1), prompts.get(1).length + 3));
    }
}
