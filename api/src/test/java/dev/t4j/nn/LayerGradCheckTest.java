package dev.t4j.nn;

import static dev.t4j.testkit.ModuleGradCheck.check;
import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Every layer's forward and backward against finite differences in float64, parameters included: Linear in both
 * orientations, Embedding, LayerNorm, RMSNorm, attention with padding and causal masks, and a pre-LN transformer
 * block wired from them.
 */
class LayerGradCheckTest extends Float64LayerTest {
    @Test
    void linearInBothOrientations() {
        Linear outIn = perturbed(new Linear(5, 3, true, Linear.Layout.OUT_IN, new Generator(1), 0.5), 10);
        check("Linear [out, in] with bias", outIn, outIn::forward, x(2, 2, 4, 5), 100);
        Linear inOut = perturbed(new Linear(5, 3, false, Linear.Layout.IN_OUT, new Generator(3), 0.5), 20);
        check("Linear [in, out] (Conv1D)", inOut, inOut::forward, x(4, 3, 5), 100);
    }

    @Test
    void embeddingAndNorms() {
        Embedding e = new Embedding(7, 4, new Generator(5), 1.0);
        Tensor ids = Tensor.of(new long[] {3, 0, 3, 6, 1}, 5);
        check("Embedding (a repeated id sums)", e, t -> e.forward(t), ids, 100);
        LayerNorm ln = perturbed(new LayerNorm(6, 1e-5), 30);
        check("LayerNorm", ln, ln::forward, x(6, 2, 3, 6), 100);
        RMSNorm rms = perturbed(new RMSNorm(6, 1e-6), 40);
        check("RMSNorm", rms, rms::forward, x(7, 4, 6), 100);
    }

    /** Self-attention over [B, T, C] with a padding mask on the keys and, when causal, a causal bias. */
    private static final class SelfAttention extends Module {
        final Linear qkv;
        final Linear out;
        final int heads;
        final boolean causal;
        final Tensor padding;

        SelfAttention(int width, int heads, boolean causal, Tensor attentionMask, Generator gen) {
            this.heads = heads;
            this.causal = causal;
            this.qkv = child("qkv", new Linear(width, 3 * width, true, Linear.Layout.OUT_IN, gen, 0.5));
            this.out = child("out", new Linear(width, width, true, Linear.Layout.OUT_IN, gen, 0.5));
            this.padding = attentionMask == null ? null : Attention.paddingBias(attentionMask).to(DType.F64);
        }

        Tensor forward(Tensor x) {
            int c = x.size(2);
            Tensor h = qkv.forward(x);
            Tensor q = Attention.splitHeads(h.narrow(2, 0, c), heads);
            Tensor k = Attention.splitHeads(h.narrow(2, c, c), heads);
            Tensor v = Attention.splitHeads(h.narrow(2, 2 * c, c), heads);
            Tensor bias = padding;
            if (causal) {
                Tensor mask = Attention.causalBias(0, x.size(1)).to(DType.F64);
                bias = bias == null ? mask : bias.add(mask);
            }
            return out.forward(Attention.mergeHeads(Attention.scaledDotProduct(q, k, v, bias, 1 / Math.sqrt(c / heads),
                    null)));
        }
    }

    @Test
    void attentionWithPaddingAndCausalMasks() {
        Tensor mask = Tensor.of(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, 2, 4); // the second row's last key is padding
        SelfAttention bidirectional = new SelfAttention(6, 2, false, mask, new Generator(8));
        check("self-attention, padding mask", bidirectional, bidirectional::forward, x(9, 2, 4, 6), 40);
        SelfAttention causal = new SelfAttention(6, 2, true, null, new Generator(10));
        check("self-attention, causal", causal, causal::forward, x(11, 2, 4, 6), 40);
        // a padded key gets no attention: its value cannot change the output
        Tensor in = x(12, 2, 4, 6);
        Tensor before = bidirectional.forward(in).detach();
        try (var g = dev.t4j.autograd.GradMode.noGrad()) {
            in.select(0, 1).select(0, 3).copy_(x(13, 6));
        }
        Tensor after = bidirectional.forward(in).detach();
        assertThat(after.select(0, 1).narrow(0, 0, 3).sub(before.select(0, 1).narrow(0, 0, 3)).abs().max().item())
                .isLessThan(1e-12);
    }

    /** A pre-LN GPT block: x + attn(ln1(x)), then + mlp(ln2(x)), GELU-tanh. */
    private static final class Block extends Module {
        final LayerNorm ln1 = child("ln_1", new LayerNorm(6, 1e-5));
        final SelfAttention attn;
        final LayerNorm ln2 = child("ln_2", new LayerNorm(6, 1e-5));
        final Linear fc;
        final Linear proj;

        Block(Generator gen) {
            attn = child("attn", new SelfAttention(6, 2, true, null, gen));
            fc = child("fc", new Linear(6, 12, true, Linear.Layout.IN_OUT, gen, 0.5));
            proj = child("proj", new Linear(12, 6, true, Linear.Layout.IN_OUT, gen, 0.5));
        }

        Tensor forward(Tensor x) {
            x = x.add(attn.forward(ln1.forward(x)));
            return x.add(proj.forward(fc.forward(ln2.forward(x)).geluTanh()));
        }
    }

    @Test
    void aPreLayerNormTransformerBlock() {
        Block b = perturbed(new Block(new Generator(14)), 50);
        check("pre-LN block", b, b::forward, x(15, 2, 3, 6), 20);
    }
}
