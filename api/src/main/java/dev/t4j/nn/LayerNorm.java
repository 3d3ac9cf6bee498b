package dev.t4j.nn;

import dev.t4j.tensor.Tensor;

/** Layer normalisation over the last dim with gain and bias; eps as the checkpoint's config says. */
public final class LayerNorm extends Module {
    private final Tensor weight;
    private final Tensor bias;
    private final double eps;

    public LayerNorm(int dim, double eps) {
        if (dim <= 0 || !(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm needs dim > 0 and eps > 0: dim=" + dim + ", eps=" + eps);
        }
        this.weight = parameter("weight", Tensor.ones(dim));
        this.bias = parameter("bias", Tensor.zeros(dim));
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return x.layerNorm(weight, bias, eps);
    }
}
