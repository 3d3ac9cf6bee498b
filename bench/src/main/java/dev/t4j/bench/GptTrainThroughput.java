package dev.t4j.bench;

import dev.t4j.backend.Backends;
import dev.t4j.cpu.CpuBackend;
import dev.t4j.gpt.GPT2Config;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Locale;
import java.util.Map;

/**
 * Training throughput of the GPT-style model of the training-toolkit issue (4 layers, width 256, 4 heads, vocab
 * 8192, sequence 128, batch 16, AdamW), or with a second argument {@code pretrain} that of {@code t4j pretrain gpt}'s
 * defaults (width 128, vocabulary 2048), or {@code dropout} the first with GPT-2's default dropout (0.1 on the
 * embeddings, the residual branches and the attention probabilities), in tokens/s: 12 steps timed once the JIT is done
 * with the step ({@link Warmup}), and the model's arithmetic done a second ({@link #flopsPerToken}). The same model
 * in PyTorch is bench/peers/torch_gpt_train.py, which counts the same FLOPs; bench/train.sh runs both. An end-to-end
 * step, so a plain timer, not JMH.
 */
public final class GptTrainThroughput {
    private GptTrainThroughput() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        Backends.setDefault(new CpuBackend(threads));
        // "pretrain": the model `t4j pretrain gpt` trains by default (width 128, its 2,048-token BPE vocabulary)
        boolean pretrain = args.length > 1 && args[1].equals("pretrain");
        boolean dropout = args.length > 1 && args[1].equals("dropout");
        GPT2Config c = config(pretrain, dropout ? 0.1 : 0);
        int t = c.nPositions();
        int b = BATCH;
        try (Scope s = Scope.open("model")) {
            GPT2LMHeadModel model = new GPT2LMHeadModel(c, new Generator(0));
            AdamW opt = new AdamW(model.parameters(), 1e-3);
            Tensor ids = Tensor.randint(new Generator(1), c.vocabSize(), b, t + 1);
            int n = 12;
            Warmup.untilCompiled(() -> step(model, opt, ids, t), 5, 60);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                step(model, opt, ids, t);
            }
            double tokensPerS = n * b * t / ((System.nanoTime() - start) / 1e9);
            System.out.printf(Locale.ROOT, "{\"threads\": %d, \"model\": \"%s\", \"tokens_per_s\": %.1f, "
                    + "\"model_gflops\": %.1f}%n", threads, pretrain ? "pretrain" : dropout ? "toolkit, dropout 0.1"
                    : "toolkit", tokensPerS, tokensPerS * flopsPerToken(c) / 1e9);
        }
    }

    /** Sequences a step: 16 of 128 tokens. */
    static final int BATCH = 16;

    /**
     * The toolkit model (4 layers, width 256, 4 heads, vocabulary 8,192, 128 positions), or with {@code pretrain} `t4j
     * pretrain gpt`'s default (width 128, vocabulary 2,048); {@code dropout} on the embeddings, residual branches and
     * attention probabilities.
     */
    static GPT2Config config(boolean pretrain, double dropout) {
        int width = pretrain ? 128 : 256;
        return new GPT2Config(pretrain ? 2048 : 8192, 128, width, 4, 4, 4 * width, "gelu_new", 1e-5, dropout, dropout,
                dropout, Map.of());
    }

    /**
     * A training step's arithmetic per token, as nanoGPT's MFU estimate counts it: 6 FLOPs per weight of every matrix
     * product (2 forward, 2 for the input's gradient, 2 for the weight's), a layer's 4 C^2 + 2 C n_inner (12 C^2 here)
     * and the tied LM head's V C, plus attention's 12 L T C (per head, two T x T x C/H products forward and four
     * backward, the causal half included: PyTorch computes it, t4j skips it). Norms, activations, the loss and AdamW
     * are not counted. The toolkit model: 33.0 MFLOP a token, 67.6 GFLOP a step of 2,048 tokens. Read against the
     * core's FMA peak (bench's KernelCeiling), this says how much of the machine a step uses, whatever the machine.
     */
    static double flopsPerToken(GPT2Config c) {
        double width = c.nEmbd();
        double layer = 4 * width * width + 2 * width * c.nInner();
        double products = c.nLayer() * layer + c.vocabSize() * width;
        return 6 * products + 12.0 * c.nLayer() * c.nPositions() * width;
    }

    /** One training step: the loss forward, backward, AdamW, gradients zeroed; StepProfile times the same. */
    static void step(GPT2LMHeadModel model, AdamW opt, Tensor ids, int t) {
        try (Scope step = Scope.open("step")) {
            // the loss `t4j pretrain gpt` trains with: the LM head and cross-entropy in chunks of rows, no logits
            Tensor loss = model.loss(ids.narrow(1, 0, t).contiguous(), null, ids.narrow(1, 1, t).contiguous());
            loss.backward();
            opt.step();
            opt.zeroGrad();
        }
    }
}
