package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The CPU runtime's norms add their input's pending gradient as they write dx (a residual stream's, from the other
 * branch): the bits of the separate sum autograd took before, with vector tails, on one and two threads.
 */
class NormAddendTest {

    @Test
    void addsThePendingGradientWithTheBitsOfTheSeparateSum() {
        for (int threads : new int[] {1, 2}) {
            CpuBackend cpu = new CpuBackend(threads);
            Generator gen = new Generator(11);
            Tensor a = Tensor.randn(gen, 37, 100).to(cpu).requiresGrad(true); // 100: six vectors and a tail of 4
            Tensor w = Tensor.randn(gen, 100).to(cpu).requiresGrad(true);
            Tensor b = Tensor.randn(gen, 100).to(cpu).requiresGrad(true);
            Tensor u = Tensor.randn(gen, 37, 100).to(cpu);
            Tensor v = Tensor.randn(gen, 37, 100).to(cpu);
            for (String norm : new String[] {"layerNorm", "rmsNorm"}) {
                Function<Tensor, Tensor> f = x -> norm.equals("layerNorm") ? x.layerNorm(w, b, 1e-5)
                        : x.rmsNorm(w, 1e-6);
                Tensor x = a.mul(2); // not a leaf (times 1 is a itself); doubling keeps the sums exact
                f.apply(x).mul(u).sum().add(x.mul(v).sum()).backward(); // the norm runs second: it adds
                float[] together = a.grad().toFloatArray();
                float[] dw = w.grad().toFloatArray();
                a.zeroGrad();
                w.zeroGrad();
                f.apply(a.mul(2)).mul(u).sum().backward();
                Tensor normOnly = a.grad().copy();
                float[] dwNormOnly = w.grad().toFloatArray();
                a.zeroGrad();
                w.zeroGrad();
                a.mul(2).mul(v).sum().backward();
                Tensor residualOnly = a.grad().copy();
                a.zeroGrad();
                String what = norm + ", threads " + threads;
                assertThat(together).as(what).containsExactly(residualOnly.add(normOnly).toFloatArray());
                assertThat(dw).as(what + ", dweight").containsExactly(dwNormOnly);
            }
        }
    }
}
