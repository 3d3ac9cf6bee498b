package dev.t4j.bench;

import dev.t4j.gpt.GPT2Config;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.generation.GenerationConfig;
import dev.t4j.gpt.TextGeneration;
import dev.t4j.memory.Scope;
import dev.t4j.nn.WeightStorage;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import java.util.Locale;

/**
 * Generation speed of GPT-2 small (124 M parameters, random weights, float32): batch 1, a 32-token prompt, 64 new
 * tokens greedily with the key/value cache; decode tokens/s counts the 64 new tokens over the time after the first
 * one (the prompt's forward pass is timed apart). First argument: a thread count, or cuda. A second argument,
 * bfloat16, stores the weight matrices in bfloat16 (compute stays float32); {@code both} builds the two models and
 * alternates their rounds, so that the bfloat16 / float32 ratio is measured under the same conditions (run one after
 * the other, a minute of this shared machine's noise fell on one side only). The peer is
 * bench/peers/torch_gpt_decode.py; bench/decode.sh runs both.
 */
public final class GptDecodeThroughput {
    static final int ROUNDS = 8;

    private GptDecodeThroughput() {}

    public static void main(String[] args) {
        BenchBackend on = BenchBackend.fromArgs(args); // a thread count, or cuda
        String storage = args.length > 1 ? args[1] : "float32";
        GPT2Config c = GPT2Config.preset("gpt2");
        try (Scope s = Scope.open("model")) {
            if (storage.equals("both")) {
                GPT2LMHeadModel f32 = model(c, DType.F32);
                GPT2LMHeadModel bf16 = model(c, DType.BF16);
                long[] prompt = prompt(c.vocabSize());
                double bestF32 = 0;
                double bestBf16 = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    bestF32 = Math.max(bestF32, decodeRate(f32, prompt));
                    bestBf16 = Math.max(bestBf16, decodeRate(bf16, prompt));
                }
                System.out.printf(Locale.ROOT, "{\"threads\": %s, \"float32_tokens_per_s\": %.2f, "
                        + "\"bfloat16_tokens_per_s\": %.2f}%n", on.label(), bestF32, bestBf16);
                return;
            }
            DType weights = WeightStorage.parse(storage);
            double best = bestDecodeRate(model(c, weights), c.vocabSize());
            System.out.printf(Locale.ROOT, "{\"threads\": %s, \"weights\": \"%s\", \"tokens_per_s\": %.2f}%n",
                    on.label(), weights, best);
        }
    }

    private static GPT2LMHeadModel model(GPT2Config c, DType weights) {
        try (var w = WeightStorage.set(weights)) {
            return new GPT2LMHeadModel(c, new Generator(0));
        }
    }

    /** A random 32-token prompt, the same every run. */
    private static long[] prompt(int vocabSize) {
        long[] prompt = new long[32];
        Generator g = new Generator(1);
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = g.nextInt(vocabSize);
        }
        return prompt;
    }

    /**
     * Decode tokens/s of greedy generation from a random 32-token prompt, 64 new tokens with the key/value cache,
     * counted after the first new token; the best of {@link #ROUNDS} rounds. Eight, not three: the JIT is still
     * compiling through the first three or four (measured: bfloat16 on two threads 49, 97, 120, 119, 140, 139, 138,
     * 151 tokens/s round by round), and a serving process runs warm. The PyTorch peers take the same best of 8.
     */
    static double bestDecodeRate(GPT2LMHeadModel model, int vocabSize) {
        long[] prompt = prompt(vocabSize);
        double best = 0;
        for (int round = 0; round < ROUNDS; round++) {
            best = Math.max(best, decodeRate(model, prompt));
        }
        return best;
    }

    /** One round: 64 new tokens, tokens/s after the first. */
    private static double decodeRate(GPT2LMHeadModel model, long[] prompt) {
        long[] firstAt = {0};
        int[] count = {0};
        TextGeneration.generate(model, prompt, GenerationConfig.greedy(64), id -> {
            if (count[0]++ == 0) {
                firstAt[0] = System.nanoTime();
            }
        });
        return (count[0] - 1) / ((System.nanoTime() - firstAt[0]) / 1e9);
    }
}
