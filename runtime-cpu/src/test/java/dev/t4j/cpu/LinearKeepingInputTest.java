package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.backend.UnaryOp;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A linear layer under gradients writes its activation beside the product, from each block while it is in cache
 * ({@link CpuBackend#linear(Tensor, Tensor, Tensor, UnaryOp, Tensor, Tensor)}): the same bits as the product followed
 * by the activation's own pass, on every path of the product (one panel, several panels with A packed whole, k past
 * one block, one row, two threads), and the same values and gradients through autograd as the two ops composed.
 */
class LinearKeepingInputTest {

    @Test
    void writesTheActivationBesideTheProductWithTheSameBits() {
        int[][] shapes = { // m, k, n
            {37, 29, 45}, // one panel, one k block, a short last sliver
            {64, 700, 1030}, // several panels, A packed whole over two k blocks
            {1300, 1030, 400}, // several panels, k blocks outermost, A in blocks
            {1, 96, 70}, // one row
        };
        for (int threads : new int[] {1, 2}) {
            CpuBackend cpu = new CpuBackend(threads);
            for (int[] s : shapes) {
                for (UnaryOp act : new UnaryOp[] {UnaryOp.GELU_TANH, UnaryOp.GELU, UnaryOp.RELU}) {
                    Generator gen = new Generator(s[0] * 31 + s[2]);
                    Tensor x = Tensor.randn(gen, s[0], s[1]).to(cpu);
                    Tensor w = Tensor.randn(gen, s[2], s[1]).mul(0.1).to(cpu).mT(); // [out, in] as nn.Linear
                    Tensor b = Tensor.randn(gen, s[2]).to(cpu);
                    Tensor out = Tensor.empty(cpu, DType.F32, s[0], s[2]);
                    Tensor activated = Tensor.empty(cpu, DType.F32, s[0], s[2]);
                    cpu.linear(x, w, b, act, out, activated);
                    Tensor plain = Tensor.empty(cpu, DType.F32, s[0], s[2]);
                    cpu.linear(x, w, b, null, plain);
                    Tensor then = Tensor.empty(cpu, DType.F32, s[0], s[2]);
                    cpu.unary(act, 0, plain, then);
                    String what = java.util.Arrays.toString(s) + " " + act + " threads " + threads;
                    assertThat(out.toFloatArray()).as("product, " + what).isEqualTo(plain.toFloatArray());
                    assertThat(activated.toFloatArray()).as("activation, " + what).isEqualTo(then.toFloatArray());
                }
            }
        }
    }

    @Test
    void autogradSeesALinearNodeThenAnActivationNode() {
        CpuBackend cpu = new CpuBackend(1);
        Generator gen = new Generator(5);
        Tensor x = Tensor.randn(gen, 2, 9, 24).to(cpu).requiresGrad(true);
        Tensor w = Tensor.randn(gen, 24, 40).mul(0.2).to(cpu).requiresGrad(true);
        Tensor b = Tensor.randn(gen, 40).to(cpu).requiresGrad(true);
        Tensor up = Tensor.randn(gen, 2, 9, 40).to(cpu);

        Tensor fused = Tensor.linear(x, w, b, UnaryOp.GELU_TANH);
        fused.mul(up).sum().backward();
        float[] fx = x.grad().toFloatArray();
        float[] fw = w.grad().toFloatArray();
        float[] fb = b.grad().toFloatArray();
        x.zeroGrad();
        w.zeroGrad();
        b.zeroGrad();
        Tensor composed = Tensor.linear(x, w, b, null).geluTanh();
        composed.mul(up).sum().backward();

        assertThat(fused.shape()).containsExactly(2, 9, 40);
        assertThat(fused.toFloatArray()).containsExactly(composed.toFloatArray());
        assertThat(fx).containsExactly(x.grad().toFloatArray());
        assertThat(fw).containsExactly(w.grad().toFloatArray());
        assertThat(fb).containsExactly(b.grad().toFloatArray());
        assertThat(fb).as("a gradient arrived").isNotEqualTo(new float[40]);
    }
}
