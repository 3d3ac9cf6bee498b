package dev.t4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.autograd.GradMode;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.function.Function;

/**
 * Checks autograd against central finite differences in float64: the analytic gradient of
 * sum(f(inputs) * w) for a random w must match (L(x + h e_i) - L(x - h e_i)) / 2h for every input element.
 */
public final class GradCheck {
    private GradCheck() {}

    /** One input: values and shape, float64. */
    public record Input(double[] values, int[] shape) {
        public static Input random(long seed, int... shape) {
            Generator g = new Generator(seed);
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = g.nextGaussian();
            }
            return new Input(v, shape);
        }

        /** Values kept away from 0 (for log, sqrt, division). */
        public static Input positive(long seed, int... shape) {
            Input r = random(seed, shape);
            double[] v = r.values.clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = 0.5 + Math.abs(v[i]);
            }
            return new Input(v, shape);
        }

        Tensor tensor(boolean grad) {
            return Tensor.of(values, shape).requiresGrad(grad);
        }
    }

    public static void check(String what, Function<Tensor[], Tensor> f, Input... inputs) {
        check(what, 1e-6, 1e-5, f, inputs);
    }

    public static void check(String what, double h, double tol, Function<Tensor[], Tensor> f, Input... inputs) {
        Tensor[] xs = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            xs[i] = inputs[i].tensor(true);
        }
        Tensor out = f.apply(xs);
        assertThat(out.dtype()).as(what + " output type").isEqualTo(DType.F64);
        Tensor w = Tensor.randn(new Generator(99), out.shape()).to(DType.F64);
        double[] wv = w.toDoubleArray();
        out.mul(w).sum().backward();
        for (int i = 0; i < inputs.length; i++) {
            Tensor grad = xs[i].grad();
            assertThat(grad).as(what + ": input " + i + " received no gradient").isNotNull();
            double[] analytic = grad.toDoubleArray();
            double[] base = inputs[i].values();
            for (int e = 0; e < base.length; e++) {
                double numeric = (loss(f, inputs, i, e, h, wv) - loss(f, inputs, i, e, -h, wv)) / (2 * h);
                double err = Math.abs(numeric - analytic[e]);
                double scale = Math.max(1, Math.abs(numeric));
                assertThat(err / scale)
                        .as("%s: d/d input%d[%d]: analytic %.9g vs numeric %.9g", what, i, e, analytic[e], numeric)
                        .isLessThan(tol);
            }
        }
    }

    private static double loss(Function<Tensor[], Tensor> f, Input[] inputs, int which, int element, double delta,
            double[] w) {
        try (var g = GradMode.noGrad()) {
            Tensor[] xs = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                double[] v = inputs[i].values().clone();
                if (i == which) {
                    v[element] += delta;
                }
                xs[i] = Tensor.of(v, inputs[i].shape());
            }
            double[] out = f.apply(xs).toDoubleArray();
            double sum = 0;
            for (int k = 0; k < out.length; k++) {
                sum += out[k] * w[k];
            }
            return sum;
        }
    }
}
