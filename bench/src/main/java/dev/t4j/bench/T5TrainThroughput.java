package dev.t4j.bench;

import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.t5.T5Config;
import dev.t4j.t5.T5ForConditionalGeneration;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Locale;

/**
 * t5-small training throughput (random weights, float32, its default dropout 0.1): batches of 2 inputs of 512 tokens
 * and targets of 64, teacher-forced, cross-entropy over the logits, AdamW, in input tokens/s: 4 steps timed once the JIT is
 * done with the step ({@link Warmup}). The peer is bench/peers/torch_t5.py with the argument {@code train};
 * bench/t5.sh runs both.
 */
public final class T5TrainThroughput {
    private T5TrainThroughput() {}

    public static void main(String[] args) {
        BenchBackend on = BenchBackend.fromArgs(args); // a thread count, or cuda
        T5Config c = T5Config.preset("t5-small");
        int batch = 2;
        int inputs = 512;
        int targets = 64;
        try (Scope s = Scope.open("model")) {
            T5ForConditionalGeneration model = new T5ForConditionalGeneration(c, new Generator(0));
            model.train(true);
            AdamW opt = new AdamW(model.parameters(), 1e-4);
            Tensor ids = Tensor.randint(new Generator(1), 32000, batch, inputs);
            Tensor labels = Tensor.randint(new Generator(2), 32000, batch, targets);
            Warmup.untilCompiled(() -> step(model, opt, ids, labels), 10, 90);
            int n = 4;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                step(model, opt, ids, labels);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "{\"bench\": \"t5 train\", \"threads\": %s, \"input_tokens_per_s\": %.1f}%n",
                    on.label(), n * batch * inputs / seconds);
        }
    }

    private static void step(T5ForConditionalGeneration model, AdamW opt, Tensor ids, Tensor labels) {
        try (Scope step = Scope.open("step")) {
            Tensor logits = model.forward(ids, null, model.shiftRight(labels), null, null).logits();
            logits.crossEntropy(labels, -100).backward();
            opt.step();
            opt.zeroGrad();
        }
    }
}
