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
     * A backward that can fold a gradient its first input already has into the one it computes for that input, as it
     * writes it: given {@code pending} (not null), it returns for input 0 pending plus its own gradient, in a tensor
     * of its own, and {@link Backprop} takes that as the input's gradient so far instead of adding the two. A norm on
     * a residual stream does this: its input's other gradient comes from the residual branch, and the sum was a pass
     * of its own over three tensors.
     */
    @FunctionalInterface
    public interface AccumulatingBackward {
        Tensor[] apply(Tensor gradOutput, Tensor pending);
    }

    /**
     * Describes a backward that places the output's gradient into zeros shaped like the node's single input, touching
     * only part of them: a slice (narrow, select) or rows at indices (indexSelect, embedding lookups). {@link Backprop}
     * then adds the gradient into a sum it already holds for that input, or into a leaf's {@code .grad}, instead of
     * calling the backward: the q, k and v cut from one fused projection cost three slice copies into one sum (see
     * Backprop), not three input-sized zero tensors, three copies and two full-size sums; a tied embedding's lookups
     * add their rows to the LM head's gradient of the same weight, not two vocabulary-sized zero tensors and two full
     * sums.
     */
    public sealed interface Placement permits Slice, Rows {
        /** sum (shaped like the node's input) += the output's gradient g, placed. */
        void addInto(Tensor sum, Tensor g);
    }

    /** Along {@code dim}, from {@code start}, {@code length} long. */
    public record Slice(int dim, int start, int length) implements Placement {
        @Override
        public void addInto(Tensor sum, Tensor g) {
            sum.narrow(dim, start, length).add_(g, 1);
        }
    }

    /**
     * Row {@code i} of the gradient along {@code dim} added at {@code index[i]}; the index was checked by the forward
     * pass, so it goes to the backend as it is (Tensor#indexAdd_ would read it back to the host to check it again).
     */
    public record Rows(int dim, Tensor index) implements Placement {
        @Override
        public void addInto(Tensor sum, Tensor g) {
            sum.backend().indexAdd(sum, dim, index, g.contiguous()); // sum: a gradient this pass made, contiguous
        }
    }

    private final String name;
    private final Tensor[] inputs;
    private final Placement placement;
    private Backward backward;
    private AccumulatingBackward accumulating;

    public GradNode(String name, Backward backward, Tensor... inputs) {
        this(name, backward, null, inputs);
    }

    /** A node whose backward {@code placement} describes (null: an ordinary node). */
    public GradNode(String name, Backward backward, Placement placement, Tensor... inputs) {
        if (placement != null && inputs.length != 1) {
            throw new IllegalArgumentException("a node with a placement has one input, got " + inputs.length);
        }
        this.name = name;
        this.backward = backward;
        this.placement = placement;
        this.inputs = inputs;
    }

    /** A node whose backward can fold a gradient its first input already has into the one it gives it. */
    public static GradNode accumulating(String name, AccumulatingBackward backward, Tensor... inputs) {
        GradNode node = new GradNode(name, g -> backward.apply(g, null), null, inputs);
        node.accumulating = backward;
        return node;
    }

    Placement placement() {
        return placement;
    }

    /** Whether {@link #apply(Tensor, Tensor)} takes a gradient for input 0 to add into its own. */
    boolean accumulates() {
        return accumulating != null;
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

    /** The gradients, input 0's with {@code pending} (not null) added: see {@link AccumulatingBackward}. */
    Tensor[] apply(Tensor gradOutput, Tensor pending) {
        if (backward == null) {
            return apply(gradOutput); // says why
        }
        return accumulating.apply(gradOutput, pending);
    }

    void release() {
        backward = null;
        accumulating = null;
    }

    @Override
    public String toString() {
        return name + "Backward";
    }
}
