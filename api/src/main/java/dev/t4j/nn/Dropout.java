package dev.t4j.nn;

import dev.t4j.backend.DropoutMask;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;

/** Dropout with probability p in training mode; the identity in evaluation mode. */
public final class Dropout extends Module {
    private final double p;
    private final Generator gen;

    public Dropout(double p, Generator gen) {
        if (p < 0 || p >= 1) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
        this.gen = gen;
    }

    /** Whether forward changes anything: training mode with p > 0. */
    public boolean isActive() {
        return p > 0 && isTraining();
    }

    /**
     * This module's dropout for attention probabilities, drawn for one call: its mask is a function of a seed taken
     * from the generator now ({@link DropoutMask}); null when inactive.
     */
    public DropoutMask forAttention() {
        return isActive() ? new DropoutMask(p, gen.nextLong()) : null;
    }

    public Tensor forward(Tensor x) {
        return x.dropout(p, gen, isTraining());
    }
}
