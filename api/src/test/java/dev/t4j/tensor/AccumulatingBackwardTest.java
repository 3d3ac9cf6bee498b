package dev.t4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A node that folds its first input's gradient so far into its own ({@code GradNode.AccumulatingBackward}): Backprop
 * hands it the gradient when one has arrived and takes the node's sum as the input's gradient, and the norms'
 * gradients summed that way are the bits of the separate sum.
 */
class AccumulatingBackwardTest {

    @Test
    void getsTheGradientSoFarAndItsSumReplacesIt() {
        for (boolean accumulatingFirst : new boolean[] {true, false}) {
            Tensor a = Tensor.randn(new Generator(1), 3, 4).requiresGrad(true);
            Tensor x = a.mul(2); // not a leaf: its gradient is summed in the pass
            Tensor[] seen = new Tensor[1];
            boolean[] called = new boolean[1];
            Tensor probe = Tensor.recordAccumulating(x.detach().copy(), "probe", (g, pending) -> {
                called[0] = true;
                seen[0] = pending;
                return new Tensor[] {pending == null ? g : pending.add(g)};
            }, x);
            Tensor other = x.mul(3);
            // the second term's node runs first (reverse post-order of the graph): with the probe first, x already
            // has the other term's gradient when the probe runs
            Tensor loss = accumulatingFirst ? probe.sum().add(other.sum()) : other.sum().add(probe.sum());
            loss.backward();
            assertThat(called[0]).isTrue();
            if (accumulatingFirst) {
                assertThat(seen[0]).as("the other term's gradient, handed to the probe").isNotNull();
                assertThat(seen[0].toFloatArray()).containsOnly(3f);
            } else {
                assertThat(seen[0]).as("no gradient had reached x yet").isNull();
            }
            assertThat(a.grad().toFloatArray()).as("2 * (3 + 1)").containsOnly(8f);
        }
    }

    @Test
    void normsAddThePendingGradientWithTheBitsOfTheSeparateSum() {
        Generator gen = new Generator(7);
        Tensor a = Tensor.randn(gen, 5, 24).requiresGrad(true);
        Tensor w = Tensor.randn(gen, 24).requiresGrad(true);
        Tensor b = Tensor.randn(gen, 24).requiresGrad(true);
        Tensor u = Tensor.randn(gen, 5, 24);
        Tensor v = Tensor.randn(gen, 5, 24);
        for (String norm : new String[] {"layerNorm", "rmsNorm"}) {
            java.util.function.Function<Tensor, Tensor> f = x -> norm.equals("layerNorm")
                    ? x.layerNorm(w, b, 1e-5) : x.rmsNorm(w, 1e-6);
            // the norm's term first, so that it runs after the residual term and adds that term's gradient in
            Tensor x = a.mul(2); // not a leaf (times 1 would be a itself); doubling keeps the sums exact
            f.apply(x).mul(u).sum().add(x.mul(v).sum()).backward();
            float[] together = a.grad().toFloatArray();
            a.zeroGrad();
            Tensor x1 = a.mul(2);
            f.apply(x1).mul(u).sum().backward();
            Tensor normOnly = a.grad().copy();
            a.zeroGrad();
            Tensor x2 = a.mul(2);
            x2.mul(v).sum().backward();
            Tensor residualOnly = a.grad().copy();
            a.zeroGrad();
            assertThat(together).as(norm).containsExactly(residualOnly.add(normOnly).toFloatArray());
        }
    }
}
