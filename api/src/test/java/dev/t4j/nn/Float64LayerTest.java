package dev.t4j.nn;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Base of layer tests in float64 (finite differences need it): parameters created in float64, one scope per test. */
abstract class Float64LayerTest {
    private Scope scope;
    private WeightStorage.Restore f64;

    @BeforeEach
    void openFloat64Scope() {
        scope = Scope.open("test");
        f64 = WeightStorage.set(DType.F64);
    }

    @AfterEach
    void closeFloat64Scope() {
        f64.close();
        scope.close();
    }

    /** Standard normal float64 values. */
    static Tensor x(long seed, int... shape) {
        return Tensor.randn(new Generator(seed), shape).to(DType.F64);
    }

    /** Parameters away from their initial zeros and ones, so that a gradient bug cannot hide behind them. */
    static <M extends Module> M perturbed(M m, long seed) {
        try (var g = GradMode.noGrad()) {
            for (Tensor p : m.parameters()) {
                p.copy_(p.add(Tensor.randn(new Generator(seed++), p.shape()).to(DType.F64).mul(0.3)));
            }
        }
        return m;
    }
}
