package dev.t4j.nn;

import dev.t4j.tensor.Tensor;

/** T5's layer norm: x / sqrt(mean(x^2) + eps) * weight, no mean subtraction and no bias. */
public final class RMSNorm extends Module {
    private final Tensor weight;
    private final double eps;

    public RMSNorm(int dim, double eps) {
        if (dim <= 0 || !(eps > 0)) {
            throw new IllegalArgumentException("RMSNorm needs dim > 0 and eps > 0: dim=" + dim + ", eps=" + eps);
        }
        this.weight = parameter("weight", Tensor.ones(dim));
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return x.rmsNorm(weight, eps);
    }
}
