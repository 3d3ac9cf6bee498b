package dev.t4j.backend.reference;

import static dev.t4j.backend.host.HostAccess.get;
import static dev.t4j.backend.host.HostAccess.getLong;
import static dev.t4j.backend.host.HostAccess.next;
import static dev.t4j.backend.host.HostAccess.offsetOf;
import static dev.t4j.backend.host.HostAccess.segment;
import static dev.t4j.backend.host.HostAccess.set;
import static dev.t4j.backend.host.HostAccess.setLong;

import dev.t4j.backend.Backend;
import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.ReduceOp;
import dev.t4j.backend.UnaryOp;
import dev.t4j.backend.host.ScalarMath;
import dev.t4j.memory.HostStorage;
import dev.t4j.memory.Storage;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Device;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The reference implementation of every kernel: plain loops over coordinates, computing in double, for any
 * dtype and any strides. It is slow on purpose: it is what the fast backends are checked against (the op
 * parity suite), and the path they fall back to for uncommon types.
 */
public class ReferenceBackend implements Backend {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Storage allocate(long bytes) {
        return HostStorage.allocate(bytes);
    }

    @Override
    public void upload(MemorySegment host, Tensor dst) {
        long bytes = dst.numel() * dst.dtype().byteSize();
        MemorySegment.copy(host, 0, segment(dst), dst.offset() * dst.dtype().byteSize(), bytes);
    }

    @Override
    public void download(Tensor src, MemorySegment host) {
        long bytes = src.numel() * src.dtype().byteSize();
        MemorySegment.copy(segment(src), src.offset() * src.dtype().byteSize(), host, 0, bytes);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        MemorySegment s = segment(src);
        MemorySegment d = segment(dst);
        if (dst.numel() == 0) {
            return;
        }
        int[] idx = new int[dst.dim()];
        boolean integral = !src.dtype().isFloatingPoint() && !dst.dtype().isFloatingPoint();
        do {
            long si = offsetOf(src, idx);
            long di = offsetOf(dst, idx);
            if (integral) {
                setLong(d, dst.dtype(), di, getLong(s, src.dtype(), si));
            } else {
                set(d, dst.dtype(), di, get(s, src.dtype(), si));
            }
        } while (next(idx, dst.shape()));
    }

    @Override
    public void fill(Tensor dst, double value) {
        MemorySegment d = segment(dst);
        if (dst.numel() == 0) {
            return;
        }
        int[] idx = new int[dst.dim()];
        do {
            set(d, dst.dtype(), offsetOf(dst, idx), value);
        } while (next(idx, dst.shape()));
    }

    @Override
    public void unary(UnaryOp op, double alpha, Tensor x, Tensor out) {
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        if (out.numel() == 0) {
            return;
        }
        int[] idx = new int[out.dim()];
        do {
            double v = get(xs, x.dtype(), offsetOf(x, idx));
            set(os, out.dtype(), offsetOf(out, idx), ScalarMath.unary(op, alpha, v));
        } while (next(idx, out.shape()));
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        MemorySegment as = segment(a);
        MemorySegment bs = segment(b);
        MemorySegment os = segment(out);
        if (out.numel() == 0) {
            return;
        }
        int[] idx = new int[out.dim()];
        do {
            double r = ScalarMath.binary(op, get(as, a.dtype(), offsetOf(a, idx)), get(bs, b.dtype(), offsetOf(b, idx)));
            set(os, out.dtype(), offsetOf(out, idx), r);
        } while (next(idx, out.shape()));
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        MemorySegment cs = segment(cond);
        MemorySegment as = segment(a);
        MemorySegment bs = segment(b);
        MemorySegment os = segment(out);
        if (out.numel() == 0) {
            return;
        }
        int[] idx = new int[out.dim()];
        do {
            boolean c = get(cs, cond.dtype(), offsetOf(cond, idx)) != 0;
            double v = c ? get(as, a.dtype(), offsetOf(a, idx)) : get(bs, b.dtype(), offsetOf(b, idx));
            set(os, out.dtype(), offsetOf(out, idx), v);
        } while (next(idx, out.shape()));
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, int axis, Tensor out) {
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        if (out.numel() == 0) {
            return;
        }
        int n = x.shape()[axis];
        int stride = x.strides()[axis];
        int[] idx = new int[out.dim()];
        do {
            long base = offsetOf(x, idx);
            double acc = switch (op) {
                case SUM -> 0;
                case MAX, ARGMAX -> Double.NEGATIVE_INFINITY;
                case MIN, ARGMIN -> Double.POSITIVE_INFINITY;
            };
            int best = 0;
            for (int i = 0; i < n; i++) {
                double v = get(xs, x.dtype(), base + (long) i * stride);
                switch (op) {
                    case SUM -> acc += v;
                    case MAX, ARGMAX -> {
                        if (v > acc || Double.isNaN(v) && !Double.isNaN(acc)) {
                            acc = v;
                            best = i;
                        }
                    }
                    case MIN, ARGMIN -> {
                        if (v < acc || Double.isNaN(v) && !Double.isNaN(acc)) {
                            acc = v;
                            best = i;
                        }
                    }
                }
            }
            long o = offsetOf(out, idx);
            if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
                setLong(os, out.dtype(), o, best);
            } else {
                set(os, out.dtype(), o, acc);
            }
        } while (next(idx, out.shape()));
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        MemorySegment as = segment(a);
        MemorySegment bs = segment(b);
        MemorySegment os = segment(out);
        int r = out.dim();
        int m = out.shape()[r - 2];
        int n = out.shape()[r - 1];
        int k = a.shape()[r - 1];
        int[] ast = a.strides();
        int[] bst = b.strides();
        int[] batchShape = java.util.Arrays.copyOf(out.shape(), r - 2);
        int[] idx = new int[r];
        int[] bidx = new int[r - 2];
        if (out.numel() == 0) {
            return;
        }
        do {
            System.arraycopy(bidx, 0, idx, 0, r - 2);
            idx[r - 2] = 0;
            idx[r - 1] = 0;
            long a0 = offsetOf(a, idx);
            long b0 = offsetOf(b, idx);
            long o0 = offsetOf(out, idx);
            int[] ost = out.strides();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) {
                        acc += get(as, a.dtype(), a0 + (long) i * ast[r - 2] + (long) p * ast[r - 1])
                                * get(bs, b.dtype(), b0 + (long) p * bst[r - 2] + (long) j * bst[r - 1]);
                    }
                    set(os, out.dtype(), o0 + (long) i * ost[r - 2] + (long) j * ost[r - 1], acc);
                }
            }
        } while (r > 2 && next(bidx, batchShape));
    }

    @Override
    public void indexSelect(Tensor src, int dim, Tensor index, Tensor out) {
        MemorySegment ss = segment(src);
        MemorySegment is = segment(index);
        MemorySegment os = segment(out);
        if (out.numel() == 0) {
            return;
        }
        int[] idx = new int[out.dim()];
        do {
            int at = idx[dim];
            int picked = (int) getLong(is, index.dtype(), index.offset() + (long) at * index.strides()[0]);
            idx[dim] = picked;
            double v = get(ss, src.dtype(), offsetOf(src, idx));
            idx[dim] = at;
            set(os, out.dtype(), offsetOf(out, idx), v);
        } while (next(idx, out.shape()));
    }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        MemorySegment ds = segment(dst);
        MemorySegment is = segment(index);
        MemorySegment ss = segment(src);
        if (src.numel() == 0) {
            return;
        }
        int[] idx = new int[src.dim()];
        do {
            int at = idx[dim];
            int picked = (int) getLong(is, index.dtype(), index.offset() + (long) at * index.strides()[0]);
            double v = get(ss, src.dtype(), offsetOf(src, idx));
            idx[dim] = picked;
            long o = offsetOf(dst, idx);
            set(ds, dst.dtype(), o, get(ds, dst.dtype(), o) + v);
            idx[dim] = at;
        } while (next(idx, src.shape()));
    }

    @Override
    public void gather(Tensor src, int dim, Tensor index, Tensor out) {
        MemorySegment ss = segment(src);
        MemorySegment is = segment(index);
        MemorySegment os = segment(out);
        if (out.numel() == 0) {
            return;
        }
        int[] idx = new int[out.dim()];
        do {
            int at = idx[dim];
            int picked = (int) getLong(is, index.dtype(), offsetOf(index, idx));
            idx[dim] = picked;
            double v = get(ss, src.dtype(), offsetOf(src, idx));
            idx[dim] = at;
            set(os, out.dtype(), offsetOf(out, idx), v);
        } while (next(idx, out.shape()));
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        MemorySegment ds = segment(dst);
        MemorySegment is = segment(index);
        MemorySegment ss = segment(src);
        if (src.numel() == 0) {
            return;
        }
        int[] idx = new int[src.dim()];
        do {
            int at = idx[dim];
            int picked = (int) getLong(is, index.dtype(), offsetOf(index, idx));
            double v = get(ss, src.dtype(), offsetOf(src, idx));
            idx[dim] = picked;
            long o = offsetOf(dst, idx);
            set(ds, dst.dtype(), o, get(ds, dst.dtype(), o) + v);
            idx[dim] = at;
        } while (next(idx, src.shape()));
    }

    /** Rows of the last dim of a contiguous tensor: (number of rows, row length). */
    private static long rows(Tensor x) {
        int c = x.shape()[x.dim() - 1];
        return c == 0 ? 0 : x.numel() / c;
    }

    @Override
    public void softmax(Tensor x, Tensor out, boolean log) {
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        int c = x.shape()[x.dim() - 1];
        for (long row = 0; row < rows(x); row++) {
            long xb = x.offset() + row * c;
            long ob = out.offset() + row * c;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < c; i++) {
                max = Math.max(max, get(xs, x.dtype(), xb + i));
            }
            double sum = 0;
            for (int i = 0; i < c; i++) {
                sum += Math.exp(get(xs, x.dtype(), xb + i) - max);
            }
            double logSum = Math.log(sum);
            for (int i = 0; i < c; i++) {
                double z = get(xs, x.dtype(), xb + i) - max;
                set(os, out.dtype(), ob + i, log ? z - logSum : Math.exp(z) / sum);
            }
        }
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd) {
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        int c = x.shape()[x.dim() - 1];
        for (long row = 0; row < rows(x); row++) {
            long xb = x.offset() + row * c;
            double mu = 0;
            for (int i = 0; i < c; i++) {
                mu += get(xs, x.dtype(), xb + i);
            }
            mu /= c;
            double var = 0;
            for (int i = 0; i < c; i++) {
                double d = get(xs, x.dtype(), xb + i) - mu;
                var += d * d;
            }
            var /= c;
            double r = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < c; i++) {
                double y = (get(xs, x.dtype(), xb + i) - mu) * r;
                if (weight != null) {
                    y *= weightAt(weight, i);
                }
                if (bias != null) {
                    y += weightAt(bias, i);
                }
                set(os, out.dtype(), out.offset() + row * c + i, y);
            }
            set(segment(mean), mean.dtype(), mean.offset() + row, mu);
            set(segment(rstd), rstd.dtype(), rstd.offset() + row, r);
        }
    }

    private static double weightAt(Tensor w, int i) {
        return get(segment(w), w.dtype(), w.offset() + (long) i * w.strides()[0]);
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out, Tensor rstd) {
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        int c = x.shape()[x.dim() - 1];
        for (long row = 0; row < rows(x); row++) {
            long xb = x.offset() + row * c;
            double ms = 0;
            for (int i = 0; i < c; i++) {
                double v = get(xs, x.dtype(), xb + i);
                ms += v * v;
            }
            double r = 1 / Math.sqrt(ms / c + eps);
            for (int i = 0; i < c; i++) {
                double y = get(xs, x.dtype(), xb + i) * r;
                if (weight != null) {
                    y *= weightAt(weight, i);
                }
                set(os, out.dtype(), out.offset() + row * c + i, y);
            }
            set(segment(rstd), rstd.dtype(), rstd.offset() + row, r);
        }
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor targets, long ignoreIndex, Tensor loss, Tensor logSumExp) {
        MemorySegment ls = segment(logits);
        MemorySegment ts = segment(targets);
        int n = logits.shape()[0];
        int c = logits.shape()[1];
        for (int row = 0; row < n; row++) {
            long base = logits.offset() + (long) row * c;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < c; i++) {
                max = Math.max(max, get(ls, logits.dtype(), base + i));
            }
            double sum = 0;
            for (int i = 0; i < c; i++) {
                sum += Math.exp(get(ls, logits.dtype(), base + i) - max);
            }
            double lse = max + Math.log(sum);
            long t = getLong(ts, targets.dtype(), targets.offset() + row);
            double l = t == ignoreIndex ? 0 : lse - get(ls, logits.dtype(), base + t);
            set(segment(loss), loss.dtype(), loss.offset() + row, l);
            set(segment(logSumExp), logSumExp.dtype(), logSumExp.offset() + row, lse);
        }
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, long ignoreIndex, double scale,
            Tensor grad) {
        MemorySegment ls = segment(logits);
        MemorySegment ts = segment(targets);
        MemorySegment gs = segment(grad);
        int n = logits.shape()[0];
        int c = logits.shape()[1];
        for (int row = 0; row < n; row++) {
            long t = getLong(ts, targets.dtype(), targets.offset() + row);
            double lse = get(segment(logSumExp), logSumExp.dtype(), logSumExp.offset() + row);
            long base = logits.offset() + (long) row * c;
            for (int i = 0; i < c; i++) {
                double g = t == ignoreIndex ? 0
                        : (Math.exp(get(ls, logits.dtype(), base + i) - lse) - (i == t ? 1 : 0)) * scale;
                set(gs, grad.dtype(), grad.offset() + (long) row * c + i, g);
            }
        }
    }
}
