package dev.t4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AutogradTest {
    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor w = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        w.mul(w).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(2, 4, 6);
        w.mul(3).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(5, 7, 9);
        w.zeroGrad();
        assertThat(w.grad().toFloatArray()).containsExactly(0, 0, 0);
    }

    @Test
    void tensorUsedTwiceGetsTheSumOfBothPaths() {
        Tensor x = Tensor.of(new float[] {2}, 1).requiresGrad(true);
        Tensor y = x.mul(3);
        y.add(y.mul(y)).sum().backward(); // d/dx (3x + 9x^2) = 3 + 18x
        assertThat(x.grad().toFloatArray()).containsExactly(39);
    }

    @Test
    void noGradRecordsNothing() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor y;
        try (var g = GradMode.noGrad()) {
            y = w.mul(2);
        }
        assertThat(y.requiresGrad()).isFalse();
        assertThat(y.gradFn()).isNull();
        assertThatThrownBy(() -> y.sum().backward()).hasMessageContaining("does not require grad");
        assertThat(GradMode.isEnabled()).isTrue();
    }

    @Test
    void secondBackwardNeedsRetainGraph() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor loss = w.exp().sum();
        loss.backward(Tensor.scalar(1), true);
        loss.backward(Tensor.scalar(1), false);
        assertThat(w.grad().toFloatArray()[0]).isEqualTo((float) (2 * Math.E));
        assertThatThrownBy(loss::backward).hasMessageContaining("retainGraph");
    }

    @Test
    void detachCutsTheGraphAndGradientsDoNotFlowIntoIntegers() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor d = w.mul(2).detach();
        assertThat(d.requiresGrad()).isFalse();
        assertThatThrownBy(() -> Tensor.arange(3).requiresGrad(true)).hasMessageContaining("floating-point");
    }

    @Test
    void deepGraphsDoNotOverflowTheStack() {
        Tensor w = Tensor.ones(1).requiresGrad(true);
        Tensor x = w;
        for (int i = 0; i < 20_000; i++) {
            x = x.add(1);
        }
        x.sum().backward();
        assertThat(w.grad().item()).isEqualTo(1);
    }
}
