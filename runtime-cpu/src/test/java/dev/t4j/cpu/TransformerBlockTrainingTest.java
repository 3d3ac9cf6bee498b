package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.memory.Scope;
import dev.t4j.nn.Embedding;
import dev.t4j.nn.FeedForward;
import dev.t4j.nn.LayerNorm;
import dev.t4j.nn.Module;
import dev.t4j.nn.ModuleList;
import dev.t4j.nn.TransformerBlock;
import dev.t4j.optim.AdamW;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A model built from the api's layers alone, as a plugin would build one, trained on the CPU backend: two pre-LN
 * {@link TransformerBlock}s, causal, between token and position embeddings and a tied LM head, learn the copy task (8
 * random tokens, a separator, the same 8 again) to near-zero loss on the copied half.
 */
class TransformerBlockTrainingTest {
    static final class CausalLm extends Module {
        final Embedding tokens;
        final Embedding positions;
        final ModuleList<TransformerBlock> blocks;
        final LayerNorm norm;

        CausalLm(int vocab, int positionsCount, int width, Generator gen) {
            tokens = child("tokens", new Embedding(vocab, width, gen, 0.1));
            positions = child("positions", new Embedding(positionsCount, width, gen, 0.1));
            blocks = child("blocks", new ModuleList<>());
            for (int i = 0; i < 2; i++) {
                blocks.add(new TransformerBlock(width, 4, 4 * width, TransformerBlock.Options.defaults()
                        .withFeedForward(FeedForward.Options.defaults().withActivation("gelu_new")), gen));
            }
            norm = child("norm", new LayerNorm(width, 1e-5));
        }

        Tensor logits(Tensor ids) {
            long[] at = new long[ids.size(1)];
            for (int i = 0; i < at.length; i++) {
                at[i] = i;
            }
            Tensor x = tokens.forward(ids).add(positions.forward(Tensor.of(at, at.length)));
            for (TransformerBlock b : blocks) {
                x = b.forward(x, null, true, null, null);
            }
            return norm.forward(x).matmul(tokens.weight().mT());
        }
    }

    @Test
    void twoCausalBlocksLearnToCopy() {
        int half = 8;
        int sep = 11;
        int t = 2 * half + 1;
        try (Scope s = Scope.open("model")) {
            CausalLm model = new CausalLm(12, t, 64, new Generator(1));
            AdamW opt = new AdamW(model.parameters(), 3e-3, 0.9, 0.98, 1e-8, 0.0);
            Generator data = new Generator(2);
            double loss = Double.NaN;
            for (int step = 0; step < 400; step++) {
                try (Scope st = Scope.open("step")) {
                    long[] ids = new long[32 * t];
                    long[] labels = new long[32 * t];
                    for (int r = 0; r < 32; r++) {
                        for (int i = 0; i < half; i++) {
                            ids[r * t + i] = data.nextInt(sep);
                            ids[r * t + half + 1 + i] = ids[r * t + i];
                        }
                        ids[r * t + half] = sep;
                        // position i predicts token i + 1: score only the predictions of the copied half
                        for (int i = 0; i < t; i++) {
                            labels[r * t + i] = i >= half && i + 1 < t ? ids[r * t + i + 1] : -100;
                        }
                    }
                    Tensor logits = model.logits(Tensor.of(ids, 32, t));
                    Tensor l = logits.reshape(-1, 12).crossEntropy(Tensor.of(labels, 32 * t), -100);
                    l.backward();
                    opt.step();
                    opt.zeroGrad();
                    loss = l.item();
                }
            }
            assertThat(loss).as("copy loss after 400 steps (ln 11 = 2.4 at chance)").isLessThan(0.05);
        }
    }
}
