package dev.t4j.nn;

import static dev.t4j.testkit.ModuleGradCheck.check;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.autograd.GradMode;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransformerBlockTest extends Float64LayerTest {
    private static double maxDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item();
    }

    @Test
    void feedForwardComputesItsFormulaPlainAndGated() {
        FeedForward plain = perturbed(new FeedForward(6, 10, FeedForward.Options.defaults().withActivation("gelu_new"),
                new Generator(1)), 10);
        assertThat(plain.namedParameters()).containsOnlyKeys("fc_in.weight", "fc_in.bias", "fc_out.weight",
                "fc_out.bias");
        Map<String, Tensor> p = plain.namedParameters();
        Tensor in = x(2, 2, 3, 6);
        Tensor hidden = in.matmul(p.get("fc_in.weight").mT()).add(p.get("fc_in.bias"));
        // GELU's tanh form written out: 0.5 h (1 + tanh(sqrt(2/pi) (h + 0.044715 h^3)))
        Tensor gelu = hidden.mul(0.5).mul(hidden.add(hidden.mul(hidden).mul(hidden).mul(0.044715))
                .mul(Math.sqrt(2 / Math.PI)).tanh().add(1));
        Tensor expected = gelu.matmul(p.get("fc_out.weight").mT()).add(p.get("fc_out.bias"));
        assertThat(maxDiff(plain.forward(in), expected)).isLessThan(1e-12);

        // T5 v1.1's gated form: no biases, its names (wi_0 activated, wi_1 linear, wo)
        FeedForward gated = perturbed(new FeedForward(6, 10, FeedForward.Options.defaults().withActivation("relu")
                .withGate(true).withBias(false).withNames("wi_1", "wi_0", "wo"), new Generator(3)), 20);
        Map<String, Tensor> q = gated.namedParameters();
        assertThat(q).containsOnlyKeys("wi_0.weight", "wi_1.weight", "wo.weight");
        Tensor gate = in.matmul(q.get("wi_0.weight").mT()).relu();
        Tensor gatedExpected = gate.mul(in.matmul(q.get("wi_1.weight").mT())).matmul(q.get("wo.weight").mT());
        assertThat(maxDiff(gated.forward(in), gatedExpected)).isLessThan(1e-12);
    }

    @Test
    void feedForwardGradientsForEveryActivationAndTheGatedForm() {
        for (String act : new String[] {"relu", "gelu", "gelu_new"}) {
            FeedForward m = perturbed(new FeedForward(5, 7, FeedForward.Options.defaults().withActivation(act),
                    new Generator(4)), 30);
            check("feed-forward, " + act, m, m::forward, x(5, 2, 3, 5), 30);
        }
        FeedForward gated = perturbed(new FeedForward(5, 7, FeedForward.Options.defaults().withGate(true)
                .withBias(false), new Generator(6)), 40);
        check("gated gelu feed-forward", gated, gated::forward, x(7, 2, 3, 5), 30);
    }

    @Test
    void preLnAddsEachBranchToItsInputAndPostLnNormalisesEachSum() {
        Tensor in = x(8, 2, 4, 8);
        Tensor padding = Attention.paddingBias(Tensor.of(new long[] {1, 1, 1, 1, 1, 1, 0, 0}, 2, 4)).to(DType.F64);
        for (boolean normFirst : new boolean[] {true, false}) {
            TransformerBlock block = perturbed(new TransformerBlock(8, 2, 16, TransformerBlock.Options.defaults()
                    .withNormFirst(normFirst), new Generator(9)), 50);
            Map<String, Module> c = block.children();
            MultiHeadAttention attn = (MultiHeadAttention) c.get("self_attn");
            FeedForward mlp = (FeedForward) c.get("mlp");
            LayerNorm norm1 = (LayerNorm) c.get("norm1");
            LayerNorm norm2 = (LayerNorm) c.get("norm2");
            Tensor expected;
            if (normFirst) {
                Tensor h = in.add(attn.forward(norm1.forward(in), padding, false));
                expected = h.add(mlp.forward(norm2.forward(h)));
            } else {
                Tensor h = norm1.forward(in.add(attn.forward(in, padding, false)));
                expected = norm2.forward(h.add(mlp.forward(h)));
            }
            assertThat(maxDiff(block.forward(in, padding), expected)).as("normFirst " + normFirst).isLessThan(1e-12);
        }
        // with its output projections zeroed, a pre-LN block passes its input through unchanged
        TransformerBlock identity = new TransformerBlock(8, 2, 16, TransformerBlock.Options.defaults(),
                new Generator(10));
        try (var g = GradMode.noGrad()) {
            identity.namedParameters().forEach((name, t) -> {
                if (name.startsWith("self_attn.output.") || name.startsWith("mlp.fc_out.")) {
                    t.copy_(t.mul(0));
                }
            });
        }
        assertThat(maxDiff(identity.forward(in, null), in)).isEqualTo(0.0);
    }

    @Test
    void gradientsOfAPostLnEncoderLayerAndAPreLnDecoderLayerWithCrossAttention() {
        Tensor padding = Attention.paddingBias(Tensor.of(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, 2, 4)).to(DType.F64);
        TransformerBlock encoder = perturbed(new TransformerBlock(6, 2, 12, TransformerBlock.Options.defaults()
                .withNormFirst(false), new Generator(11)), 60);
        check("post-LN encoder layer", encoder, t -> encoder.forward(t, padding), x(12, 2, 4, 6), 12);

        // T5's decoder layer: RMS norms, no biases or score scaling, gated GELU, cross-attention over a 5-wide context
        TransformerBlock decoder = perturbed(new TransformerBlock(6, 5, 3, 12, TransformerBlock.Options.defaults()
                .withCrossAttention(true).withRmsNorm(true)
                .withAttention(MultiHeadAttention.Options.defaults().withBias(false).withScale(1))
                .withFeedForward(FeedForward.Options.defaults().withGate(true).withBias(false)
                        .withActivation("gelu_new")), new Generator(13)), 70);
        assertThat(decoder.namedParameters().keySet()).contains("self_attn.query.weight", "multihead_attn.key.weight",
                "norm1.weight", "norm2.weight", "norm3.weight", "mlp.fc_gate.weight", "mlp.fc_out.weight");
        Tensor context = x(14, 2, 3, 5);
        Tensor contextPadding = Attention.paddingBias(Tensor.of(new long[] {1, 1, 0, 1, 1, 1}, 2, 3)).to(DType.F64);
        check("pre-LN decoder layer", decoder, t -> decoder.forward(t, null, true, context, contextPadding),
                x(15, 2, 4, 6), 12);
    }

    @Test
    void dropoutActsWhileTrainingAndEvaluationModeTurnsEveryDropoutOff() {
        TransformerBlock.Options o = TransformerBlock.Options.defaults().withCrossAttention(true);
        TransformerBlock plain = perturbed(new TransformerBlock(8, 2, 16, o, new Generator(16)), 80);
        TransformerBlock dropping = perturbed(new TransformerBlock(8, 2, 16, o.withDropout(0.2)
                .withAttention(o.attention().withDropout(0.2)).withFeedForward(o.feedForward().withDropout(0.2)),
                new Generator(16)), 80);
        Tensor in = x(17, 2, 4, 8);
        Tensor context = x(18, 2, 3, 8);
        Tensor expected = plain.forward(in, null, true, context, null);
        assertThat(maxDiff(dropping.forward(in, null, true, context, null), expected)).isGreaterThan(1e-3);
        dropping.eval();
        assertThat(maxDiff(dropping.forward(in, null, true, context, null), expected)).isEqualTo(0.0);
    }

    @Test
    void aBlockThatCannotBeBuiltOrFedSaysWhy() {
        TransformerBlock.Options o = TransformerBlock.Options.defaults();
        assertThatThrownBy(() -> new TransformerBlock(10, 3, 16, o, new Generator(1)))
                .hasMessageContaining("width 10").hasMessageContaining("3 heads");
        assertThatThrownBy(() -> new TransformerBlock(8, 2, -4, o, new Generator(1))).hasMessageContaining("inner -4");
        assertThatThrownBy(() -> new TransformerBlock(8, 2, 16, new TransformerBlock.Options(true, false, false, 0, 0,
                o.attention(), o.feedForward()), new Generator(1))).hasMessageContaining("eps");
        assertThatThrownBy(() -> new FeedForward(8, 16, FeedForward.Options.defaults().withActivation("swish"),
                new Generator(1))).hasMessageContaining("'swish'");
        TransformerBlock encoder = new TransformerBlock(8, 2, 16, o, new Generator(1));
        assertThatThrownBy(() -> encoder.forward(x(1, 1, 2, 8), null, false, x(2, 1, 2, 8), null))
                .hasMessageContaining("no cross-attention");
        TransformerBlock decoder = new TransformerBlock(8, 2, 16, o.withCrossAttention(true), new Generator(1));
        assertThatThrownBy(() -> decoder.forward(x(1, 1, 2, 8), null)).hasMessageContaining("encoder's states");
    }
}
