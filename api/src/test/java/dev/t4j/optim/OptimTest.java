package dev.t4j.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptimTest {
    @Test
    void adamWMatchesTheUpdateWorkedByHand() {
        Tensor p = Tensor.of(new float[] {1.0f, -2.0f}, 2, 1).requiresGrad(true); // a matrix: decayed
        AdamW opt = new AdamW(List.of(p), 0.1, 0.9, 0.999, 1e-8, 0.01);
        double[] w = {1.0, -2.0};
        double[] m = new double[2];
        double[] v = new double[2];
        double[][] grads = {{0.5, -1.0}, {0.25, 3.0}};
        for (int t = 1; t <= 2; t++) {
            p.setGrad(Tensor.of(new float[] {(float) grads[t - 1][0], (float) grads[t - 1][1]}, 2, 1));
            opt.step();
            for (int i = 0; i < 2; i++) {
                double g = grads[t - 1][i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                w[i] *= 1 - 0.1 * 0.01;
                w[i] -= 0.1 * (m[i] / (1 - Math.pow(0.9, t))) / (Math.sqrt(v[i] / (1 - Math.pow(0.999, t))) + 1e-8);
            }
            float[] got = p.toFloatArray();
            assertThat((double) got[0]).isCloseTo(w[0], within(1e-6));
            assertThat((double) got[1]).isCloseTo(w[1], within(1e-6));
        }
    }

    @Test
    void biasesAreNotDecayed() {
        Tensor bias = Tensor.of(new float[] {1.0f}, 1).requiresGrad(true);
        AdamW opt = new AdamW(List.of(bias), 0.1, 0.9, 0.999, 1e-8, 0.5);
        bias.setGrad(Tensor.zeros(1));
        opt.step();
        assertThat(bias.toFloatArray()).containsExactly(1.0f);
    }

    @Test
    void schedulesAndClipping() {
        LrSchedule cos = new WarmupCosine(1.0, 0.1, 10, 110);
        assertThat(cos.at(5)).isCloseTo(0.5, within(1e-12));
        assertThat(cos.at(10)).isCloseTo(1.0, within(1e-12));
        assertThat(cos.at(60)).isCloseTo(0.55, within(1e-12));
        assertThat(cos.at(110)).isCloseTo(0.1, within(1e-12));
        assertThat(LrSchedule.warmupLinear(1.0, 10, 110).at(60)).isCloseTo(0.5, within(1e-12));
        assertThat(LrSchedule.inverseSqrt(1.0, 100).at(400)).isCloseTo(0.05, within(1e-12));
        assertThat(LrSchedule.inverseSqrt(1.0, 100).at(4)).isCloseTo(0.1, within(1e-12));
        Tensor a = Tensor.zeros(2).requiresGrad(true);
        a.setGrad(Tensor.of(new float[] {3, 4}, 2));
        assertThat(GradClip.clipGlobalNorm(List.of(a), 1.0)).isCloseTo(5.0, within(1e-6));
        assertThat(a.grad().toFloatArray()[0]).isCloseTo(0.6f, within(1e-5f));
    }
}
