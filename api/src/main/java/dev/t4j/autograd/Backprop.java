package dev.t4j.autograd;

import dev.t4j.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation over the recorded graph: a topological order from the root, then one
 * vector-Jacobian product per node in reverse, summing gradients where a tensor was used more than once, and
 * adding into {@code .grad} of the leaves that require it as each gradient comes (no sum of a leaf's gradients first,
 * and a lookup's rows go straight into its table's {@code .grad}: t5-small training, whose [32128, 512] embedding is
 * looked up twice and is the LM head, spent ~20 ms a step more on zero fills and full-size sums for it, one thread).
 * The products run with recording off, so gradients carry no graph (no higher-order derivatives).
 */
public final class Backprop {
    private Backprop() {}

    /** One trace line: the node, the sum of squares of the gradient it received and of each it gives. */
    private static void trace(GradNode node, Tensor g, Tensor... inputGrads) {
        StringBuilder line = new StringBuilder("[t4j trace] ").append(node.name()).append(" g=").append(norm2(g));
        for (Tensor ig : inputGrads) {
            line.append(' ').append(norm2(ig));
        }
        System.out.println(line);
    }

    /** The sum of squares of a gradient ("-" where a node gives an input none). */
    private static String norm2(Tensor t) {
        return t == null ? "-" : String.format(java.util.Locale.ROOT, "%.6e", t.mul(t).sum().item());
    }

    /**
     * Backpropagates {@code rootGrad} from {@code root}. With {@code -Dt4j.autograd.trace=true} (read at each call) it
     * also prints, per node in the order it visits them, the sum of squares of the gradient arriving and of each
     * gradient the node gives its inputs: diffing two backends' traces names the first op whose gradients part (how
     * the CUDA runtime's first real-GPU discrepancy was found).
     */
    public static void backward(Tensor root, Tensor rootGrad, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward() on a tensor that does not require grad: no input of the "
                    + "computation had requiresGrad(true), or it ran inside GradMode.noGrad()");
        }
        if (!Arrays.equals(root.shape(), rootGrad.shape())) {
            throw new IllegalArgumentException("gradient shape " + Arrays.toString(rootGrad.shape())
                    + " does not match tensor shape " + Arrays.toString(root.shape()));
        }
        boolean trace = Boolean.getBoolean("t4j.autograd.trace");
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(root, rootGrad);
        // Gradients this method allocated (sums, and lookup nodes' zero-filled results): only these may be updated in
        // place; a node's backward may return a tensor it also returns elsewhere (add gives g to both inputs).
        Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
        // Sums that slices were copied into and whose other parts are still unwritten (see placeInto)
        Map<Tensor, SliceCover> unwritten = new IdentityHashMap<>();
        try (var noGrad = GradMode.noGrad()) {
            for (Tensor t : order) {
                Tensor g = grads.remove(t);
                if (g == null) {
                    continue; // no path from the root carried a gradient here
                }
                complete(g, unwritten);
                owned.remove(g); // handed on: a backward may pass it (or a view of it) to its inputs as it is
                GradNode node = t.gradFn();
                if (node == null) {
                    t.accumulateGrad(g);
                    continue;
                }
                Tensor[] inputs = node.inputs();
                GradNode.Placement place = node.placement();
                if (place != null && placeInto(place, inputs[0], g, grads, owned, unwritten)) {
                    if (trace) {
                        trace(node, g, g); // the input's gradient, zeros around g, has g's norm
                    }
                    if (!retainGraph) {
                        node.release();
                    }
                    continue;
                }
                // a node that can fold its first input's gradient so far into its own gets it (not when tracing:
                // the trace shows each node's own gradients)
                Tensor pending = trace ? null : pending(node, inputs, grads, unwritten);
                Tensor[] inputGrads = pending == null ? node.apply(g) : node.apply(g, pending);
                if (trace) {
                    trace(node, g, inputGrads);
                }
                if (!retainGraph) {
                    node.release();
                }
                for (int i = 0; i < inputs.length; i++) {
                    Tensor in = inputs[i];
                    Tensor ig = inputGrads[i];
                    if (in == null || ig == null || !in.requiresGrad()) {
                        continue;
                    }
                    if (!Arrays.equals(ig.shape(), in.shape())) {
                        throw new IllegalStateException("internal error: backward of '" + node.name()
                                + "' gave input " + i + " a gradient of shape " + Arrays.toString(ig.shape())
                                + " for an input of shape " + Arrays.toString(in.shape()));
                    }
                    if (in.isLeaf()) { // straight into .grad as it comes, as PyTorch's AccumulateGrad: no sum first
                        in.accumulateGrad(ig);
                        continue;
                    }
                    if (i == 0 && pending != null) { // the node's sum of pending and its own: the gradient so far
                        grads.put(in, ig);
                        owned.add(ig);
                        continue;
                    }
                    Tensor prev = grads.get(in);
                    if (prev == null) {
                        grads.put(in, ig);
                        if (place != null) {
                            owned.add(ig); // the zeros the placing backward just filled
                        }
                    } else if (owned.contains(prev)) {
                        complete(prev, unwritten);
                        prev.add_(ig, 1);
                    } else {
                        Tensor summed = prev.add(ig);
                        grads.put(in, summed);
                        owned.add(summed);
                    }
                }
            }
        }
    }

    /**
     * The gradient so far of a node's first input, for a node that adds it into its own ({@link
     * GradNode.AccumulatingBackward}): null when the node cannot, the input wants none or is a leaf (its {@code .grad}
     * is summed as gradients come), or no gradient has reached it yet.
     */
    private static Tensor pending(GradNode node, Tensor[] inputs, Map<Tensor, Tensor> grads,
            Map<Tensor, SliceCover> unwritten) {
        if (!node.accumulates() || inputs.length == 0 || inputs[0] == null || !inputs[0].requiresGrad()
                || inputs[0].isLeaf()) {
            return null;
        }
        Tensor prev = grads.get(inputs[0]);
        if (prev != null) {
            complete(prev, unwritten);
        }
        return prev;
    }

    /**
     * Adds g, as {@code place} puts it, into the gradient {@code in} already has: a leaf's {@code .grad}, or this
     * pass's sum for it (copied first unless this pass owns it, since a backward may have handed the same tensor to
     * another input). A slice that finds no sum yet, or only disjoint slices of the same dim before it, is copied into
     * place and the rest of the sum left unwritten until something else reads or adds to it ({@link #complete}): the
     * q, k and v cut from one fused projection then cost three slice copies, as PyTorch's split backward (a cat), not
     * a zero fill and two slice additions (GPT training, one thread: the fill and additions took 3.5 ms a step, the
     * copies 2). False when a lookup finds no sum yet: the node's own backward then makes the zeros around g.
     */
    private static boolean placeInto(GradNode.Placement place, Tensor in, Tensor g, Map<Tensor, Tensor> grads,
            Set<Tensor> owned, Map<Tensor, SliceCover> unwritten) {
        if (in == null || !in.requiresGrad()) {
            return true; // nothing wants this gradient
        }
        if (in.isLeaf()) {
            in.accumulateGrad(place, g);
            return true;
        }
        Tensor sum = grads.get(in);
        if (place instanceof GradNode.Slice slice) {
            if (sum == null) {
                sum = Tensor.empty(g.backend(), g.dtype(), in.shape());
                grads.put(in, sum);
                owned.add(sum);
                unwritten.put(sum, new SliceCover(slice.dim(), in.size(slice.dim())));
            }
            SliceCover cover = unwritten.get(sum);
            if (cover != null && cover.claim(slice)) {
                sum.narrow(slice.dim(), slice.start(), slice.length()).copy_(g);
                return true;
            }
        }
        if (sum == null) {
            return false;
        }
        if (!owned.contains(sum)) {
            sum = sum.copy();
            grads.put(in, sum);
            owned.add(sum);
        }
        complete(sum, unwritten);
        place.addInto(sum, g);
        return true;
    }

    /** Zeros what no slice has written of {@code sum}, if slices were copied into it (else nothing to do). */
    private static void complete(Tensor sum, Map<Tensor, SliceCover> unwritten) {
        SliceCover cover = unwritten.remove(sum);
        if (cover != null) {
            cover.zeroRest(sum);
        }
    }

    /** Which indices of one dim of a gradient sum slices have been copied into; the others hold no values yet. */
    private static final class SliceCover {
        private final int dim;
        private final BitSet written;
        private final int size;

        SliceCover(int dim, int size) {
            this.dim = dim;
            this.size = size;
            this.written = new BitSet(size);
        }

        /** True, and marked written, when {@code slice} runs along this dim and over indices not yet written. */
        boolean claim(GradNode.Slice slice) {
            int from = slice.start();
            int to = from + slice.length();
            int next = written.nextSetBit(from);
            if (slice.dim() != dim || (next >= 0 && next < to)) {
                return false;
            }
            written.set(from, to);
            return true;
        }

        void zeroRest(Tensor sum) {
            for (int i = written.nextClearBit(0); i < size; ) {
                int end = written.nextSetBit(i);
                end = end < 0 ? size : end;
                sum.narrow(dim, i, end - i).zero_();
                i = written.nextClearBit(end);
            }
        }
    }

    /** Root first; every tensor after all tensors that consume it. */
    static List<Tensor> topologicalOrder(Tensor root) {
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> postOrder = new ArrayList<>();
        // Iterative DFS: deep graphs (long sequences of ops) must not overflow the Java stack.
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            GradNode node = t.gradFn();
            Tensor[] inputs = node == null ? new Tensor[0] : node.inputs();
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.requiresGrad() && visited.add(in)) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                postOrder.add(t);
            }
        }
        Collections.reverse(postOrder);
        return postOrder;
    }
}
