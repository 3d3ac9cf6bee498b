package dev.t4j.bench;

import dev.t4j.autograd.GradMode;
import dev.t4j.generation.GenerationConfig;
import dev.t4j.memory.Scope;
import dev.t4j.t5.T5Config;
import dev.t4j.t5.T5ForConditionalGeneration;
import dev.t4j.t5.T5Generation;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Locale;

/**
 * t5-small (60 M parameters, random weights, float32), batch 1: the encoder over 512 input tokens, timed alone, and
 * 64 decoder tokens generated greedily with the self-attention cache and the cached cross-attention keys/values;
 * decode tokens/s counts the tokens after the first over the time after the first (which includes the encoder
 * pass); request tokens/s is the whole task, the 64 tokens over the time of encoding 512 and generating them.
 * Best of 7 rounds once the JIT is done with a round ({@link Warmup}; in the first rounds the JIT is still compiling:
 * measured, one thread: 430, 3157, 3069, 3251, 3406, 3615, 3618 encoder tokens/s round by round); the peer, eager
 * PyTorch without a JIT, takes one warm-up round and the same best of 7. The peer is bench/peers/torch_t5.py;
 * bench/t5.sh runs both on the CPU (first argument: threads), scripts/gpu-check.sh on a GPU (first argument: cuda).
 */
public final class T5Throughput {
    private T5Throughput() {}

    public static void main(String[] args) {
        BenchBackend on = BenchBackend.fromArgs(args); // a thread count, or cuda
        T5Config p = T5Config.preset("t5-small");
        // no </s>, so that every round generates all 64 tokens, as the peer does
        T5Config c = new T5Config(p.vocabSize(), p.dModel(), p.dKv(), p.dFf(), p.numLayers(), p.numDecoderLayers(),
                p.numHeads(), p.relativeAttentionNumBuckets(), p.relativeAttentionMaxDistance(), 0.0, p.layerNormEpsilon(),
                p.feedForwardProj(), p.tieWordEmbeddings(), p.decoderStartTokenId(), p.padTokenId(), -1, java.util.Map.of());
        try (Scope s = Scope.open("model")) {
            T5ForConditionalGeneration model = new T5ForConditionalGeneration(c, new Generator(0));
            model.eval();
            long[] input = new long[512];
            Generator g = new Generator(1);
            for (int i = 0; i < input.length; i++) {
                input[i] = 2 + g.nextInt(32000);
            }
            input[input.length - 1] = p.eosTokenId();
            Warmup.untilCompiled(() -> round(model, input), 5, 30);
            double[] best = new double[3];
            for (int r = 0; r < 7; r++) {
                double[] rates = round(model, input);
                for (int i = 0; i < best.length; i++) {
                    best[i] = Math.max(best[i], rates[i]);
                }
            }
            System.out.printf(Locale.ROOT, "{\"bench\": \"t5\", \"backend\": \"%s\", \"threads\": %s, "
                    + "\"encode_tokens_per_s\": %.1f, \"decode_tokens_per_s\": %.2f, \"request_tokens_per_s\": %.2f}%n",
                    on.backend().name(), on.label(), best[0], best[1], best[2]);
        }
    }

    /**
     * One round: the encoder alone, then a whole request (the encoder again and 64 greedy tokens); tokens/s of the
     * encoder, of the tokens after the first, and of the whole request (64 tokens over its whole time).
     */
    private static double[] round(T5ForConditionalGeneration model, long[] input) {
        double encode;
        try (var noGrad = GradMode.noGrad(); Scope step = Scope.open("encode")) {
            long t0 = System.nanoTime();
            model.encode(Tensor.of(input, 1, input.length), null).sum().item();
            encode = input.length / ((System.nanoTime() - t0) / 1e9);
        }
        long[] firstAt = {0};
        int[] count = {0};
        long start = System.nanoTime();
        T5Generation.generate(model, input, GenerationConfig.greedy(64), id -> {
            if (count[0]++ == 0) {
                firstAt[0] = System.nanoTime();
            }
        });
        long end = System.nanoTime();
        if (count[0] != 64) {
            throw new IllegalStateException("generated " + count[0] + " tokens, not 64");
        }
        return new double[] {encode, (count[0] - 1) / ((end - firstAt[0]) / 1e9), count[0] / ((end - start) / 1e9)};
    }
}
