package dev.t4j.tensor;

import dev.t4j.autograd.GradNode;

/** Embedding lookup, index select, gather/scatter and concatenation, with bounds checked up front. */
final class Indexing {
    private Indexing() {}

    private static void checkIndex(String op, Tensor index, int bound, String what) {
        if (index.dtype() != DType.I64 && index.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": index must be int64 or int32, got " + index.dtype());
        }
        long[] v = index.toLongArray();
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= bound) {
                throw new IndexOutOfBoundsException(op + ": index " + v[i] + " at position " + i + " is outside [0, "
                        + bound + ") (" + what + ")");
            }
        }
    }

    static Tensor embedding(Tensor weight, Tensor ids) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("embedding: weight must be [vocab, dim], got "
                    + Shapes.str(weight.shapeRef()));
        }
        Tensor rows = indexSelect(weight, 0, ids.reshape(-1)).reshape(Shapes.concat(ids.shapeRef(), weight.size(1)));
        // a table stored in 16 bits is looked up into float32, the type everything downstream computes in
        return weight.dtype() == DType.BF16 || weight.dtype() == DType.F16 ? rows.to(DType.F32) : rows;
    }

    static Tensor indexSelect(Tensor src, int dim, Tensor index) {
        int d = Shapes.axis(dim, src.dim());
        if (index.dim() != 1) {
            throw new IllegalArgumentException("indexSelect: index must be 1-D, got " + Shapes.str(index.shapeRef()));
        }
        checkIndex("indexSelect", index, src.size(d), "size of dim " + d + " of " + Shapes.str(src.shapeRef()));
        Tensor out = Tensor.empty(src.backend(), src.dtype(), Shapes.withSize(src.shapeRef(), d, index.size(0)));
        src.backend().indexSelect(src, d, index, out);
        GradNode.Rows rows = new GradNode.Rows(d, index);
        return Tensor.record(out, "indexSelect", g -> {
            Tensor grad = src.zerosLike();
            rows.addInto(grad, g);
            return new Tensor[] {grad};
        }, rows, src);
    }

    /** dst[.., index[i], ..] += src[.., i, ..] along {@code dim}, in place (Tensor#indexAdd_). */
    static void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        int d = Shapes.axis(dim, dst.dim());
        if (index.dim() != 1) {
            throw new IllegalArgumentException("indexAdd_: index must be 1-D, got " + Shapes.str(index.shapeRef()));
        }
        int[] expected = Shapes.withSize(dst.shapeRef(), d, index.size(0));
        if (!java.util.Arrays.equals(src.shapeRef(), expected)) {
            throw new IllegalArgumentException("indexAdd_: source " + Shapes.str(src.shapeRef()) + " should be "
                    + Shapes.str(expected) + " (the destination " + Shapes.str(dst.shapeRef()) + " with dim " + d
                    + " the index's length)");
        }
        checkIndex("indexAdd_", index, dst.size(d), "size of dim " + d + " of " + Shapes.str(dst.shapeRef()));
        Tensor.checkSameType("indexAdd_", dst, src);
        Tensor s = src.device().equals(dst.device()) ? src.contiguous() : src.to(dst.backend()).contiguous();
        if (dst.isContiguous()) {
            dst.backend().indexAdd(dst, d, index, s);
            return;
        }
        Tensor sum = dst.contiguous(); // the backends add into contiguous memory
        sum.backend().indexAdd(sum, d, index, s);
        dst.copy_(sum);
    }

    static Tensor gather(Tensor src, int dim, Tensor index) {
        int d = Shapes.axis(dim, src.dim());
        if (index.dim() != src.dim()) {
            throw new IllegalArgumentException("gather: index rank " + index.dim() + " differs from source rank "
                    + src.dim());
        }
        for (int i = 0; i < src.dim(); i++) {
            if (i != d && index.size(i) > src.size(i)) {
                throw new IllegalArgumentException("gather: index shape " + Shapes.str(index.shapeRef())
                        + " exceeds source " + Shapes.str(src.shapeRef()) + " at dim " + i);
            }
        }
        checkIndex("gather", index, src.size(d), "size of dim " + d + " of " + Shapes.str(src.shapeRef()));
        Tensor out = Tensor.empty(src.backend(), src.dtype(), index.shapeRef());
        src.backend().gather(src, d, index, out);
        return Tensor.record(out, "gather", g -> new Tensor[] {src.zerosLike().scatterAdd(d, index, g)}, src);
    }

    static Tensor scatterAdd(Tensor self, int dim, Tensor index, Tensor src) {
        int d = Shapes.axis(dim, self.dim());
        if (!java.util.Arrays.equals(index.shapeRef(), src.shapeRef()) || index.dim() != self.dim()) {
            throw new IllegalArgumentException("scatterAdd: index " + Shapes.str(index.shapeRef()) + " and source "
                    + Shapes.str(src.shapeRef()) + " must have the same shape and the rank of "
                    + Shapes.str(self.shapeRef()));
        }
        Tensor.checkSameType("scatterAdd", self, src);
        checkIndex("scatterAdd", index, self.size(d), "size of dim " + d + " of " + Shapes.str(self.shapeRef()));
        Tensor out = Tensor.empty(self.backend(), self.dtype(), self.shapeRef());
        self.backend().copy(self, out);
        self.backend().scatterAdd(out, d, index, src);
        return Tensor.record(out, "scatterAdd", g -> new Tensor[] {g, g.gather(d, index)}, self, src);
    }

    static Tensor cat(int dim, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("cat of no tensors");
        }
        Tensor first = tensors[0];
        int d = Shapes.axis(dim, first.dim());
        int total = 0;
        for (Tensor t : tensors) {
            Tensor.checkSameType("cat", first, t);
            Tensor.checkSameDevice("cat", first, t);
            if (t.dim() != first.dim()) {
                throw new IllegalArgumentException("cat: ranks differ: " + Shapes.str(first.shapeRef()) + " and "
                        + Shapes.str(t.shapeRef()));
            }
            for (int i = 0; i < t.dim(); i++) {
                if (i != d && t.size(i) != first.size(i)) {
                    throw new IllegalArgumentException("cat along dim " + d + ": shapes "
                            + Shapes.str(first.shapeRef()) + " and " + Shapes.str(t.shapeRef()) + " differ at dim " + i);
                }
            }
            total += t.size(d);
        }
        Tensor out = Tensor.empty(first.backend(), first.dtype(), Shapes.withSize(first.shapeRef(), d, total));
        int[] starts = new int[tensors.length];
        int at = 0;
        for (int i = 0; i < tensors.length; i++) {
            starts[i] = at;
            int len = tensors[i].size(d);
            if (len > 0) {
                first.backend().copy(tensors[i], out.detach().narrow(d, at, len));
            }
            at += len;
        }
        return Tensor.record(out, "cat", g -> {
            Tensor[] grads = new Tensor[tensors.length];
            for (int i = 0; i < tensors.length; i++) {
                grads[i] = g.narrow(d, starts[i], tensors[i].size(d));
            }
            return grads;
        }, tensors);
    }
}
