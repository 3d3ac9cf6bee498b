package dev.t4j.nn;

import static dev.t4j.testkit.ModuleGradCheck.check;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.autograd.GradMode;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MultiHeadAttentionTest extends Float64LayerTest {
    @Test
    void computesTheTextbookFormulaWithItsNamedParameters() {
        MultiHeadAttention m = perturbed(new MultiHeadAttention(8, 2, MultiHeadAttention.Options.defaults(),
                new Generator(1)), 10);
        assertThat(m.namedParameters()).containsOnlyKeys("query.weight", "query.bias", "key.weight", "key.bias",
                "value.weight", "value.bias", "output.weight", "output.bias");
        Tensor in = x(2, 2, 5, 8);
        var p = m.namedParameters();
        // by hand: one head at a time, softmax(q_h k_h^T / sqrt(4)) v_h, heads concatenated, then the output layer
        Tensor q = in.matmul(p.get("query.weight").mT()).add(p.get("query.bias"));
        Tensor k = in.matmul(p.get("key.weight").mT()).add(p.get("key.bias"));
        Tensor v = in.matmul(p.get("value.weight").mT()).add(p.get("value.bias"));
        Tensor[] heads = new Tensor[2];
        for (int h = 0; h < 2; h++) {
            Tensor qh = q.narrow(2, 4 * h, 4);
            Tensor kh = k.narrow(2, 4 * h, 4);
            Tensor vh = v.narrow(2, 4 * h, 4);
            heads[h] = qh.matmul(kh.mT()).mul(0.5).softmax(-1).matmul(vh);
        }
        Tensor expected = Tensor.cat(2, heads).matmul(p.get("output.weight").mT()).add(p.get("output.bias"));
        assertThat(m.forward(in).sub(expected).abs().max().item()).isLessThan(1e-12);
    }

    @Test
    void gradientsOfSelfCausalPaddedAndCrossAttention() {
        MultiHeadAttention self = perturbed(new MultiHeadAttention(6, 2, MultiHeadAttention.Options.defaults(),
                new Generator(3)), 20);
        Tensor mask = Tensor.of(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, 2, 4);
        Tensor padding = Attention.paddingBias(mask).to(DType.F64);
        check("self-attention, padding and causal masks", self, t -> self.forward(t, padding, true), x(4, 2, 4, 6), 40);
        // T5's layout: no biases, no scaling, names q/k/v/o, keys and values from a 5-wide context of 3 tokens
        MultiHeadAttention cross = perturbed(new MultiHeadAttention(6, 5, 3, MultiHeadAttention.Options.defaults()
                .withBias(false).withScale(1).withNames("q", "k", "v", "o"), new Generator(5)), 30);
        assertThat(cross.namedParameters()).containsOnlyKeys("q.weight", "k.weight", "v.weight", "o.weight");
        Tensor context = x(6, 2, 3, 5);
        check("cross-attention", cross, t -> cross.forward(t, context, null, false, null, 0), x(7, 2, 4, 6), 40);
    }

    @Test
    void generatingWithTheCacheEqualsTheFullCausalPass() {
        MultiHeadAttention m = perturbed(new MultiHeadAttention(8, 2, MultiHeadAttention.Options.defaults(),
                new Generator(8)), 40);
        Tensor in = x(9, 1, 6, 8);
        Tensor full = m.forward(in, null, true);
        try (var g = GradMode.noGrad()) {
            KVCache cache = new KVCache(1, 1, 2, 8, 4, DType.F64);
            // a 3-token prompt, then one token at a time
            Tensor first = m.forward(in.narrow(1, 0, 3), null, null, true, cache, 0);
            cache.advance(3);
            assertThat(first.sub(full.narrow(1, 0, 3)).abs().max().item()).isLessThan(1e-12);
            for (int t = 3; t < 6; t++) {
                Tensor step = m.forward(in.narrow(1, t, 1), null, null, true, cache, 0);
                cache.advance(1);
                assertThat(step.sub(full.narrow(1, t, 1)).abs().max().item()).as("token %d", t).isLessThan(1e-12);
            }
        }
        assertThatThrownBy(() -> new MultiHeadAttention(10, 3, MultiHeadAttention.Options.defaults(), new Generator(1)))
                .hasMessageContaining("width 10").hasMessageContaining("3 heads");
    }

    @Test
    void evaluationModeTurnsTheAttentionDropoutOff() {
        MultiHeadAttention plain = perturbed(new MultiHeadAttention(8, 2, MultiHeadAttention.Options.defaults(),
                new Generator(11)), 50);
        MultiHeadAttention dropping = perturbed(new MultiHeadAttention(8, 2, MultiHeadAttention.Options.defaults()
                .withDropout(0.5), new Generator(11)), 50);
        Tensor in = x(12, 2, 5, 8);
        Tensor expected = plain.forward(in);
        assertThat(dropping.forward(in).sub(expected).abs().max().item()).as("training: dropout on")
                .isGreaterThan(1e-3);
        dropping.eval();
        assertThat(dropping.forward(in).sub(expected).abs().max().item()).as("evaluation: dropout off").isEqualTo(0.0);
    }
}
