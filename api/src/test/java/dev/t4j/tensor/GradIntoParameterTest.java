package dev.t4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A linear layer's backward writes its weight and bias gradients straight into the parameters' gradient buffers
 * while their values are not wanted ({@code Tensor.newGradient}): the gradients are those of the copy it
 * replaced, zeroing still zeros, accumulation across backward passes still adds, and a weight used twice in one graph
 * still gets the sum.
 */
class GradIntoParameterTest {
    private final Generator gen = new Generator(3);
    private final Tensor x1 = Tensor.randn(gen, 6, 5);
    private final Tensor x2 = Tensor.randn(gen, 6, 5);
    private final Tensor up = Tensor.randn(gen, 6, 4);

    private static float[] grad(Tensor t) {
        return t.grad().toFloatArray();
    }

    @Test
    void writesTheGradientsIntoTheParametersBuffersAndKeepsTheirMeaning() {
        Tensor w = Tensor.randn(gen, 5, 4).requiresGrad(true);
        Tensor b = Tensor.randn(gen, 4).requiresGrad(true);
        Tensor.linear(x1, w, b, null).mul(up).sum().backward(); // no buffer yet: one is made and written
        float[] dw = grad(w);
        float[] db = grad(b);
        Tensor wBuffer = w.grad();
        assertThat(dw).as("x^T (up)").containsExactly(x1.mT().matmul(up).toFloatArray());
        assertThat(db).containsExactly(up.sum(0, false).toFloatArray());

        w.zeroGrad();
        b.zeroGrad();
        assertThat(grad(w)).as("zeroed, read before the next backward").containsOnly(0f);
        w.zeroGrad();
        b.zeroGrad();
        Tensor.linear(x1, w, b, null).mul(up).sum().backward();
        assertThat(w.grad()).as("the same buffer, written in place").isSameAs(wBuffer);
        assertThat(grad(w)).containsExactly(dw);
        assertThat(grad(b)).containsExactly(db);

        Tensor.linear(x1, w, b, null).mul(up).sum().backward(); // not zeroed: adds
        assertThat(grad(w)).containsExactly(Tensor.of(dw, 5, 4).mul(2).toFloatArray());
        assertThat(grad(b)).containsExactly(Tensor.of(db, 4).mul(2).toFloatArray());
    }

    @Test
    void aWeightUsedTwiceInOneGraphGetsTheSum() {
        Tensor w = Tensor.randn(gen, 5, 4).requiresGrad(true);
        Tensor b = Tensor.randn(gen, 4).requiresGrad(true); // with a bias: the path that writes into the buffers
        Tensor.linear(x1, w, b, null).mul(up).sum().backward();
        Tensor first = w.grad().copy();
        w.zeroGrad();
        Tensor.linear(x2, w, b, null).mul(up).sum().backward();
        Tensor second = w.grad().copy();
        w.zeroGrad();
        Tensor.linear(x1, w, b, null).mul(up).sum().add(Tensor.linear(x2, w, b, null).mul(up).sum()).backward();
        assertThat(grad(w)).containsExactly(second.add(first).toFloatArray());
    }
}
