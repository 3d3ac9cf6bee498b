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

    /**
     * Marks a view's backward that places the output's gradient in one slice of zeros shaped like its single input
     * (along {@code dim}, from {@code start}, {@code length} long: narrow, select). When {@link Backprop} is
     * already summing a gradient of its own for that input, it adds the output's gradient into that slice instead
     * of calling the backward: the q, k and v cut from one fused projection then cost one zero fill and three
     * slice additions, not three input-sized zero tensors, three copies and two full-size sums.
     */
    public record Slice(int dim, int start, int length) {}

    private final String name;
    private final Tensor[] inputs;
    private final Slice slice;
    private Backward backward;

    public GradNode(String name, Backward backward, Tensor... inputs) {
        this(name, backward, null, inputs);
    }

    /** A node whose backward is described by {@code slice} (null: an ordinary node). */
    public GradNode(String name, Backward backward, Slice slice, Tensor... inputs) {
        if (slice != null && inputs.length != 1) {
            throw new IllegalArgumentException("a slice node has one input, got " + inputs.length);
        }
        this.name = name;
        this.backward = backward;
        this.slice = slice;
        this.inputs = inputs;
    }

    Slice slice() {
        return slice;
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
