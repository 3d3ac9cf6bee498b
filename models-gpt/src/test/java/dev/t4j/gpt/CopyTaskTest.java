package dev.t4j.gpt;

import dev.t4j.generation.GenerationConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A 2-layer GPT learns to copy: sequences of 8 random tokens, a separator, then the same 8 tokens again. */
class CopyTaskTest {
    @Test
    void learnsToCopyToNearZeroLoss() {
        int vocab = 12;
        int sep = 11;
        int half = 8;
        int t = 2 * half + 1;
        GPT2Config c = new GPT2Config(vocab, 32, 64, 2, 4, 256, "gelu_new", 1e-5, 0, 0, 0, Map.of());
        try (Scope s = Scope.open("model")) {
            GPT2LMHeadModel model = new GPT2LMHeadModel(c, new Generator(1));
            AdamW opt = new AdamW(model.parameters(), 3e-3, 0.9, 0.98, 1e-8, 0.0);
            Generator data = new Generator(2);
            double loss = Double.NaN;
            for (int step = 0; step < 400; step++) {
                try (Scope st = Scope.open("step")) {
                    Tensor[] batch = batch(data, 32, half, sep);
                    Tensor l = GPT2LMHeadModel.causalLmLoss(model.forward(batch[0], null, false).logits(), batch[1]);
                    l.backward();
                    opt.step();
                    opt.zeroGrad();
                    loss = l.item();
                }
            }
            assertThat(loss).as("copy loss after 400 steps").isLessThan(0.05);
            try (Scope st = Scope.open("check"); var g = GradMode.noGrad()) {
                model.eval();
                long[] prompt = {3, 1, 4, 1, 5, 9, 2, 6, sep};
                long[] out = TextGeneration.generate(model, prompt, GenerationConfig.greedy(half), null);
                assertThat(java.util.Arrays.copyOfRange(out, half + 1, t)).containsExactly(3, 1, 4, 1, 5, 9, 2, 6);
            }
        }
    }

    /** ids [B, 2h+1] and labels that score only the copied half (-100 elsewhere). */
    static Tensor[] batch(Generator g, int b, int half, int sep) {
        int t = 2 * half + 1;
        long[] ids = new long[b * t];
        long[] labels = new long[b * t];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < half; i++) {
                long tok = g.nextInt(sep);
                ids[r * t + i] = tok;
                ids[r * t + half + 1 + i] = tok;
            }
            ids[r * t + half] = sep;
            for (int i = 0; i < t; i++) {
                labels[r * t + i] = i > half ? ids[r * t + i] : -100;
            }
        }
        return new Tensor[] {Tensor.of(ids, b, t), Tensor.of(labels, b, t)};
    }
}
