package dev.t4j.tensor;

import dev.t4j.autograd.GradMode;

/** Matrix products with numpy's rules for batching, broadcasting and 1-D operands. */
final class MatMul {
    private MatMul() {}

    /**
     * a and b floating point and of one type, or a float32 times a 16-bit weight b: activations and accumulation in
     * float32, the backend widening b as it reads it, so the weight is never copied to float32 whole. Such a b
     * must not need a gradient: that would need float32 storage.
     */
    static void checkOperandTypes(String op, Tensor a, Tensor b) {
        Tensor.checkFloating(op, a);
        Tensor.checkFloating(op, b);
        if (a.dtype() == b.dtype()) {
            return;
        }
        if (!(a.dtype() == DType.F32 && (b.dtype() == DType.BF16 || b.dtype() == DType.F16))) {
            Tensor.checkSameType(op, a, b);
        }
        if (b.requiresGrad() && GradMode.isEnabled()) {
            throw new IllegalArgumentException(op + ": the " + b.dtype() + " weight " + Shapes.str(b.shapeRef())
                    + " requires grad, but 16-bit weights are for inference; train with float32 weights or run "
                    + "under GradMode.noGrad()");
        }
    }

    static Tensor matmul(Tensor a, Tensor b) {
        Tensor.checkSameDevice("matmul", a, b);
        checkOperandTypes("matmul", a, b);
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul of a scalar: shapes " + Shapes.str(a.shapeRef()) + " and "
                    + Shapes.str(b.shapeRef()) + "; use mul");
        }
        if (a.dim() == 1) {
            return matmul(a.unsqueeze(0), b).squeeze(-2);
        }
        if (b.dim() == 1) {
            return matmul(a, b.unsqueeze(1)).squeeze(-1);
        }
        int[] sa = a.shapeRef();
        int[] sb = b.shapeRef();
        int m = sa[sa.length - 2];
        int k = sa[sa.length - 1];
        int n = sb[sb.length - 1];
        if (sb[sb.length - 2] != k) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(sa) + " and " + Shapes.str(sb)
                    + " do not chain (" + k + " != " + sb[sb.length - 2] + ")");
        }
        if (b.dim() == 2 && a.dim() > 2 && a.isContiguous()) {
            // x @ W over a batch of x: one product of all rows, so W is packed once rather than once per batch
            // element, and W's gradient is one product rather than a sum of per-element ones
            int[] outShape = sa.clone();
            outShape[sa.length - 1] = n;
            return matmul(a.reshape(-1, k), b).reshape(outShape);
        }
        int[] batch = Shapes.broadcast(java.util.Arrays.copyOf(sa, sa.length - 2),
                java.util.Arrays.copyOf(sb, sb.length - 2));
        Tensor ae = a.expand(Shapes.concat(batch, m, k));
        Tensor be = b.expand(Shapes.concat(batch, k, n));
        Tensor out = Tensor.empty(a.backend(), a.dtype(), Shapes.concat(batch, m, n)); // a's type: F32 when mixed
        a.backend().matmul(ae.detach(), be.detach(), out);
        return Tensor.record(out, "matmul", g -> new Tensor[] {
            a.requiresGrad() ? g.matmul(be.mT()).sumTo(sa) : null,
            b.requiresGrad() ? weightGradient(ae, g, be).sumTo(sb) : null}, a, b);
    }

    /**
     * input^T g, the gradient of {@code weight} in {@code input @ weight}. When the weight is the transpose of a
     * row-major matrix (an [out, in] nn.Linear weight, a tied embedding as the LM head), it is computed as
     * (g^T input)^T: the same product, but the gradient arrives in the parameter's own layout, and adding it to the
     * parameter's gradient is a contiguous pass instead of a strided one (T5-small training, one thread: 72 strided
     * adds of [512, 512], 12 of [2048, 512] and one of the [32128, 512] embedding, about 40 ms of a 1.2 s step).
     */
    static Tensor weightGradient(Tensor input, Tensor g, Tensor weight) {
        if (input.dim() == 2 && isTransposedRowMajor(weight)) {
            return g.mT().matmul(input).mT();
        }
        return input.mT().matmul(g);
    }

    /** A 2-D weight that is the transpose of a row-major matrix (an [out, in] nn.Linear weight used as [in, out]). */
    static boolean isTransposedRowMajor(Tensor weight) {
        return weight.dim() == 2 && !weight.isContiguous() && weight.mT().isContiguous();
    }
}
