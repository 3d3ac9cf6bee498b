package dev.t4j.autograd;

import dev.t4j.tensor.Tensor;

/**
 * The recorded operation that produced a tensor: its name, its inputs, and the vector-Jacobian product that
 * turns the output's gradient into one gradient per input (null for inputs that need none). What the product
 * needs from the forward pass it captures, and {@link #release()} drops once backward has used it.
 */
public final class GradNode {
    /** Gradient of each input, given the gradient of the output; entries may be null. */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    private final String name;
    private final Tensor[] inputs;
    private Backward backward;

    public GradNode(String name, Backward backward, Tensor... inputs) {
        this.name = name;
        this.backward = backward;
        this.inputs = inputs;
    }

    public String name() {
        return name;
    }

    public Tensor[] inputs() {
        return inputs;
    }

    Tensor[] apply(Tensor gradOutput) {
        if (backward == null) {
            throw new IllegalStateException("backward through '" + name + "' a second time: its saved tensors "
                    + "were freed after the first backward. Pass retainGraph=true to the first backward().");
        }
        return backward.apply(gradOutput);
    }

    void release() {
        backward = null;
    }

    @Override
    public String toString() {
        return name + "Backward";
    }
}
