package dev.t4j.nn;

import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;

/** A lookup table [num, dim]: rows for integer ids. */
public final class Embedding extends Module {
    private final Tensor weight;

    public Embedding(int num, int dim, Generator gen, double std) {
        if (num <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding sizes must be positive: num=" + num + ", dim=" + dim);
        }
        this.weight = parameter("weight", Init.normal(gen, std, num, dim));
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor forward(Tensor ids) {
        return Tensor.embedding(weight, ids);
    }
}
