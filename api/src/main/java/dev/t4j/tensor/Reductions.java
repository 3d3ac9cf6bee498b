package dev.t4j.tensor;

import dev.t4j.backend.ReduceOp;

/** Reductions along one axis, and the sum-to-shape that undoes broadcasting in backward. */
final class Reductions {
    private Reductions() {}

    static Tensor sum(Tensor x, int dim, boolean keepDim) {
        int d = Shapes.axis(dim, x.dim());
        Tensor.checkFloating("sum", x);
        int[] from = x.shapeRef();
        int[] keptShape = Shapes.withSize(from, d, 1);
        Tensor out = Tensor.empty(x.backend(), x.dtype(), keptShape);
        x.backend().reduce(ReduceOp.SUM, x, d, out);
        Tensor kept = Tensor.record(out, "sum", g -> new Tensor[] {g.expand(from)}, x);
        return keepDim ? kept : kept.squeeze(d);
    }

    static Tensor reduceAll(Tensor x) {
        return sum(x.reshape(-1), 0, false);
    }

    static Tensor extreme(Tensor x, int dim, boolean keepDim, boolean max) {
        int d = Shapes.axis(dim, x.dim());
        Tensor.checkFloating(max ? "max" : "min", x);
        if (x.size(d) == 0) {
            throw new IllegalArgumentException((max ? "max" : "min") + " of an empty dim " + d + " of shape "
                    + Shapes.str(x.shapeRef()));
        }
        int[] keptShape = Shapes.withSize(x.shapeRef(), d, 1);
        Tensor values = Tensor.empty(x.backend(), x.dtype(), keptShape);
        Tensor index = Tensor.empty(x.backend(), DType.I64, keptShape);
        x.backend().reduce(max ? ReduceOp.MAX : ReduceOp.MIN, x, d, values);
        x.backend().reduce(max ? ReduceOp.ARGMAX : ReduceOp.ARGMIN, x, d, index);
        Tensor kept = Tensor.record(values, max ? "max" : "min",
                g -> new Tensor[] {x.zerosLike().scatterAdd(d, index, g)}, x);
        return keepDim ? kept : kept.squeeze(d);
    }

    static Tensor arg(Tensor x, ReduceOp op, int dim, boolean keepDim) {
        int d = Shapes.axis(dim, x.dim());
        Tensor index = Tensor.empty(x.backend(), DType.I64, Shapes.withSize(x.shapeRef(), d, 1));
        x.backend().reduce(op, x, d, index);
        return keepDim ? index : index.squeeze(d);
    }

    static Tensor sumTo(Tensor g, int[] target) {
        int[] shape = g.shapeRef();
        if (java.util.Arrays.equals(shape, target)) {
            return g;
        }
        int lead = shape.length - target.length;
        if (lead < 0) {
            throw new IllegalArgumentException("cannot sum " + Shapes.str(shape) + " to larger rank "
                    + Shapes.str(target));
        }
        Tensor t = g;
        for (int i = 0; i < lead; i++) {
            t = t.sum(0, false);
        }
        for (int i = 0; i < target.length; i++) {
            if (target[i] == 1 && t.size(i) != 1) {
                t = t.sum(i, true);
            } else if (target[i] != t.size(i)) {
                throw new IllegalArgumentException("cannot sum " + Shapes.str(shape) + " to " + Shapes.str(target));
            }
        }
        return t;
    }
}
