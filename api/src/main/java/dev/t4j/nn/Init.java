package dev.t4j.nn;

import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;

/** Parameter initialisers, drawn from an explicit generator so a model is reproducible from its seed. */
public final class Init {
    private Init() {}

    public static Tensor normal(Generator gen, double std, int... shape) {
        return Tensor.randn(gen, shape).mul(std);
    }

    /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)), torch.nn.Linear's default. */
    public static Tensor uniformFanIn(Generator gen, int fanIn, int... shape) {
        double bound = 1 / Math.sqrt(fanIn);
        return Tensor.rand(gen, shape).mul(2 * bound).sub(bound);
    }
}
