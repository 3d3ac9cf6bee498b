package dev.t4j.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.tensor.Tensor;
import java.util.List;
import java.util.function.Function;
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

    @Test
    void sgdWithMomentumAndNesterovMatchesTorchsRule() {
        for (boolean nesterov : new boolean[] {false, true}) {
            Tensor p = Tensor.of(new float[] {1.0f}, 1).requiresGrad(true);
            Sgd opt = new Sgd(List.of(p), 0.1, 0.9, 0, 0.01, nesterov);
            double w = 1.0;
            double buf = 0;
            double[] grads = {0.5, -0.25, 1.0};
            for (int t = 0; t < 3; t++) {
                p.setGrad(Tensor.of(new float[] {(float) grads[t]}, 1));
                opt.step();
                double d = grads[t] + 0.01 * w;
                buf = t == 0 ? d : 0.9 * buf + d;
                w -= 0.1 * (nesterov ? d + 0.9 * buf : buf);
                assertThat((double) p.toFloatArray()[0]).isCloseTo(w, within(1e-6));
            }
        }
    }

    @Test
    void adafactorMatchesTheUpdateWorkedByHand() {
        double[][] w = {{0.5, -1.0, 0.25}, {2.0, 0.1, -0.3}};
        Tensor p = Tensor.of(new float[] {0.5f, -1.0f, 0.25f, 2.0f, 0.1f, -0.3f}, 2, 3).requiresGrad(true);
        Adafactor opt = new Adafactor(List.of(p), 0, true, true, null, 0);
        double[] row = new double[2];
        double[] col = new double[3];
        double[][][] grads = {{{0.1, -0.2, 0.3}, {0.4, 0.05, -0.6}}, {{-0.3, 0.2, 0.1}, {0.0, 0.5, 0.2}}};
        for (int t = 1; t <= 2; t++) {
            double[][] g = grads[t - 1];
            p.setGrad(Tensor.of(new float[] {(float) g[0][0], (float) g[0][1], (float) g[0][2], (float) g[1][0],
                (float) g[1][1], (float) g[1][2]}, 2, 3));
            opt.step();
            double ms = 0;
            for (double[] r : w) {
                for (double v : r) {
                    ms += v * v;
                }
            }
            double lr = Math.max(1e-3, Math.sqrt(ms / 6)) * Math.min(1e-2, 1 / Math.sqrt(t));
            double beta2t = 1 - Math.pow(t, -0.8);
            for (int i = 0; i < 2; i++) {
                double m = 0;
                for (int j = 0; j < 3; j++) {
                    m += (g[i][j] * g[i][j] + 1e-30) / 3;
                }
                row[i] = beta2t * row[i] + (1 - beta2t) * m;
            }
            for (int j = 0; j < 3; j++) {
                double m = 0;
                for (int i = 0; i < 2; i++) {
                    m += (g[i][j] * g[i][j] + 1e-30) / 2;
                }
                col[j] = beta2t * col[j] + (1 - beta2t) * m;
            }
            double rowMean = (row[0] + row[1]) / 2;
            double[][] u = new double[2][3];
            double us = 0;
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    u[i][j] = g[i][j] / Math.sqrt(row[i] / rowMean) / Math.sqrt(col[j]);
                    us += u[i][j] * u[i][j];
                }
            }
            double clip = Math.max(1, Math.sqrt(us / 6));
            float[] got = p.toFloatArray();
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    w[i][j] -= u[i][j] / clip * lr;
                    assertThat((double) got[i * 3 + j]).as("step %d [%d][%d]", t, i, j).isCloseTo(w[i][j], within(1e-6));
                }
            }
        }
    }

    @Test
    void adafactorStateRoundTripsThroughACheckpoint() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Adafactor first = new Adafactor(List.of(a), 0, true, true, 0.9, 0.01);
        Adafactor second = new Adafactor(List.of(b), 0, true, true, 0.9, 0.01);
        for (int t = 0; t < 3; t++) {
            Tensor g = Tensor.of(new float[] {0.1f * t, -0.2f, 0.3f, 0.05f * t}, 2, 2);
            a.setGrad(g);
            first.step();
            if (t == 1) {
                second.loadState(first.state(List.of("w")), List.of("w"));
                try (var n = dev.t4j.autograd.GradMode.noGrad()) {
                    b.copy_(a);
                }
            }
            if (t == 2) {
                b.setGrad(g);
                second.step();
            }
        }
        assertThat(b.toFloatArray()).containsExactly(a.toFloatArray());
    }

    /** Every optimizer's state restores onto a parameter of its shape, and names the tensor when shapes differ. */
    @Test
    void restoredStateIsShapeChecked() {
        List<Function<Tensor, Optimizer>> makers = List.of(
                p -> new AdamW(List.of(p), 0.1),
                p -> new Sgd(List.of(p), 0.1, 0.9, 0, 0, false),
                p -> new Adafactor(List.of(p), 0, true, true, 0.9, 0.0));
        for (var make : makers) {
            Tensor w = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
            Optimizer first = make.apply(w);
            w.setGrad(Tensor.of(new float[] {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f}, 2, 3));
            first.step();
            var saved = first.state(List.of("w"));

            Tensor same = Tensor.of(new float[6], 2, 3).requiresGrad(true);
            Optimizer second = make.apply(same);
            second.loadState(saved, List.of("w"));
            var restored = second.state(List.of("w"));
            assertThat(restored.keySet()).isEqualTo(saved.keySet());
            for (String key : saved.keySet()) {
                assertThat(restored.get(key).toDoubleArray()).containsExactly(saved.get(key).toDoubleArray());
            }

            Optimizer transposed = make.apply(Tensor.of(new float[6], 3, 2).requiresGrad(true));
            assertThatThrownBy(() -> transposed.loadState(saved, List.of("w")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("optimizer state 'w.");
        }
    }
}
