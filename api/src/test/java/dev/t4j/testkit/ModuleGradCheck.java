package dev.t4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.autograd.GradMode;
import dev.t4j.nn.Module;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Map;
import java.util.function.Function;

/**
 * A layer's backward against central finite differences: the analytic gradient of sum(forward(x) * w), for a
 * random w, with respect to the input and to every parameter (up to {@code perParameter} elements of each, spread
 * over it), must match (L(+h) - L(-h)) / 2h. The module must hold float64 parameters (build it under
 * {@code WeightStorage.set(DType.F64)}).
 */
public final class ModuleGradCheck {
    private ModuleGradCheck() {}

    public static void check(String what, Module m, Function<Tensor, Tensor> forward, Tensor x, int perParameter) {
        double h = 1e-6;
        double tol = 1e-5;
        for (var e : m.namedParameters().entrySet()) {
            assertThat(e.getValue().dtype()).as(what + ": parameter " + e.getKey()).isEqualTo(DType.F64);
        }
        Tensor input = x.dtype().isFloatingPoint() ? x.detach().requiresGrad(true) : x;
        m.zeroGrad();
        Tensor out = forward.apply(input);
        Tensor w = Tensor.randn(new Generator(99), out.shape()).to(DType.F64);
        out.mul(w).sum().backward();
        if (input.requiresGrad()) {
            compare(what + " d/dx", input.grad(), input, m, forward, input, w, h, tol, Integer.MAX_VALUE);
        }
        for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
            Tensor p = e.getValue();
            assertThat(p.grad()).as(what + ": " + e.getKey() + " received no gradient").isNotNull();
            compare(what + " d/d" + e.getKey(), p.grad(), p, m, forward, input, w, h, tol, perParameter);
        }
    }

    private static void compare(String what, Tensor grad, Tensor target, Module m, Function<Tensor, Tensor> forward,
            Tensor input, Tensor w, double h, double tol, int limit) {
        double[] analytic = grad.toDoubleArray();
        int n = analytic.length;
        int step = Math.max(1, n / Math.min(n, limit));
        for (int e = 0; e < n; e += step) {
            double base = target.detach().reshape(-1).narrow(0, e, 1).item();
            double plus = lossAt(target, e, base + h, m, forward, input, w);
            double minus = lossAt(target, e, base - h, m, forward, input, w);
            set(target, e, base);
            double numeric = (plus - minus) / (2 * h);
            double err = Math.abs(numeric - analytic[e]) / Math.max(1, Math.abs(numeric));
            assertThat(err).as("%s[%d]: analytic %.9g vs numeric %.9g", what, e, analytic[e], numeric).isLessThan(tol);
        }
    }

    private static double lossAt(Tensor target, int element, double value, Module m, Function<Tensor, Tensor> forward,
            Tensor input, Tensor w) {
        try (var g = GradMode.noGrad()) {
            set(target, element, value);
            return forward.apply(input.detach()).mul(w).sum().item();
        }
    }

    private static void set(Tensor t, int element, double value) {
        try (var g = GradMode.noGrad()) {
            t.detach().reshape(-1).narrow(0, element, 1).copy_(Tensor.of(new double[] {value}, 1));
        }
    }
}
