package dev.t4j.cpu;

import static dev.t4j.backend.host.HostAccess.segment;
import static dev.t4j.cpu.VectorMath.load;

import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.DropoutMask;
import dev.t4j.backend.ReduceOp;
import dev.t4j.backend.UnaryOp;
import dev.t4j.backend.reference.ReferenceBackend;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: float32 kernels on the Vector API, multithreaded over a fixed pool. Every kernel has a fast
 * path for float32 and falls back to the reference implementation (same results in double) for other types and
 * for the layouts a fast path does not cover.
 */
public final class CpuBackend extends ReferenceBackend {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final Parallel SERIAL = new Parallel(1);

    private final Parallel par;

    public CpuBackend() {
        this(Parallel.configuredThreads());
    }

    public CpuBackend(int threads) {
        this.par = new Parallel(threads);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int threads() {
        return par.threads();
    }

    private static boolean f32(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.F32) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ data movement

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (dst.numel() > 0 && src.isContiguous() && dst.isContiguous() && bf16Pair(src.dtype(), dst.dtype())) {
            convertBf16(src, dst); // storing or widening 16-bit weights: whole checkpoints go through here
            return;
        }
        if (!f32(src, dst) || dst.numel() == 0) {
            super.copy(src, dst);
            return;
        }
        MemorySegment s = segment(src);
        MemorySegment d = segment(dst);
        Strided it = Strided.of(dst.shape(), new long[] {src.offset(), dst.offset()}, src.strides(), dst.strides());
        int ss = it.innerStride(0);
        int ds = it.innerStride(1);
        if (ds == 1 && TransposedRows.applies(it, 0)) { // x.mT().contiguous()
            long rowBytes = (long) it.inner() * 4;
            TransposedRows.forEachRow(it, 0, s, par, (row, rs, at) ->
                    MemorySegment.copy(rs, at * 4, d, it.rowOffset(1, row) * 4, rowBytes));
            return;
        }
        it.forEachRun(par, (at, n) -> {
            if (ss == 1 && ds == 1) {
                MemorySegment.copy(s, at[0] * 4, d, at[1] * 4, (long) n * 4);
            } else if (ss == 0) { // one value broadcast (the gradient of a sum): a fill, not 3 ns a float
                ElementwiseRuns.fill(d, at[1], ds, n, s.getAtIndex(F, at[0]));
            } else {
                for (int i = 0; i < n; i++) {
                    d.setAtIndex(F, at[1] + (long) i * ds, s.getAtIndex(F, at[0] + (long) i * ss));
                }
            }
        });
    }

    private static boolean bf16Pair(DType a, DType b) {
        return (a == DType.F32 && b == DType.BF16) || (a == DType.BF16 && b == DType.F32);
    }

    /** Contiguous float32 to bfloat16 (rounded to nearest even, as {@link DType#floatToBf16}) or back. */
    private void convertBf16(Tensor src, Tensor dst) {
        MemorySegment s = segment(src);
        MemorySegment d = segment(dst);
        long so = src.offset();
        long d0 = dst.offset();
        boolean widen = src.dtype() == DType.BF16;
        long n = dst.numel();
        int chunks = (int) Math.min(Integer.MAX_VALUE, (n + 65535) / 65536);
        par.forRange(chunks, 1, (c0, c1) -> {
            long end = Math.min(n, (long) c1 * 65536);
            for (long i = (long) c0 * 65536; i < end; i++) {
                if (widen) {
                    d.setAtIndex(F, d0 + i, DType.bf16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, so + i)));
                } else {
                    d.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, d0 + i, DType.floatToBf16(s.getAtIndex(F, so + i)));
                }
            }
        });
    }

    @Override
    public void fill(Tensor dst, double value) {
        if (!f32(dst) || dst.numel() == 0) {
            super.fill(dst, value);
            return;
        }
        MemorySegment d = segment(dst);
        float v = (float) value;
        Strided it = Strided.of(dst.shape(), new long[] {dst.offset()}, dst.strides());
        int ds = it.innerStride(0);
        it.forEachRun(par, (at, n) -> ElementwiseRuns.fill(d, at[0], ds, n, v));
    }

    // ------------------------------------------------------------------------------------------ elementwise

    @Override
    public void unary(UnaryOp op, double alpha, Tensor x, Tensor out) {
        if (!f32(x, out) || out.numel() == 0) {
            super.unary(op, alpha, x, out);
            return;
        }
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        float a = (float) alpha;
        Strided it = Strided.of(out.shape(), new long[] {x.offset(), out.offset()}, x.strides(), out.strides());
        int sx = it.innerStride(0);
        int so = it.innerStride(1);
        it.forEachRun(par, (at, n) -> {
            if (sx == 1 && so == 1) {
                ElementwiseRuns.unary(op, a, xs, at[0], os, at[1], n);
                return;
            }
            for (int i = 0; i < n; i++) {
                float v = xs.getAtIndex(F, at[0] + (long) i * sx);
                os.setAtIndex(F, at[1] + (long) i * so,
                        VectorMath.apply(op, a, FloatVector.broadcast(S, v)).lane(0));
            }
        });
    }

    @Override
    public void activationBackward(UnaryOp act, Tensor x, Tensor g, Tensor out) {
        Strided it = act.derivative() != null && f32(x, g, out) && out.numel() > 0 ? Strided.of(out.shape(),
                new long[] {x.offset(), g.offset(), out.offset()}, x.strides(), g.strides(), out.strides()) : null;
        if (it == null || it.innerStride(0) != 1 || it.innerStride(1) != 1 || it.innerStride(2) != 1) {
            super.activationBackward(act, x, g, out);
            return;
        }
        MemorySegment xs = segment(x);
        MemorySegment gs = segment(g);
        MemorySegment os = segment(out);
        it.forEachRun(par, (at, n) -> ElementwiseRuns.activationBackward(act, xs, at[0], gs, at[1], os, at[2], n));
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (!f32(a, b, out) || op.isComparison() || out.numel() == 0) {
            super.binary(op, a, b, out);
            return;
        }
        MemorySegment as = segment(a);
        MemorySegment bs = segment(b);
        MemorySegment os = segment(out);
        Strided it = Strided.of(out.shape(), new long[] {a.offset(), b.offset(), out.offset()}, a.strides(),
                b.strides(), out.strides());
        int sa = it.innerStride(0);
        int sb = it.innerStride(1);
        int so = it.innerStride(2);
        boolean vectorisable = so == 1 && (sa == 0 || sa == 1) && (sb == 0 || sb == 1) && (sa == 1 || sb == 1);
        int n = it.inner();
        if (!vectorisable && so == 1 && (sb == 0 || sb == 1) && TransposedRows.applies(it, 0)) { // a.mT() + b
            TransposedRows.forEachRow(it, 0, as, par, (row, rs, at) ->
                    ElementwiseRuns.binary(op, rs, at, 1, bs, it.rowOffset(1, row), sb, os, it.rowOffset(2, row), n));
            return;
        }
        if (!vectorisable && so == 1 && (sa == 0 || sa == 1) && TransposedRows.applies(it, 1)) { // a + b.mT()
            TransposedRows.forEachRow(it, 1, bs, par, (row, rs, at) ->
                    ElementwiseRuns.binary(op, as, it.rowOffset(0, row), sa, rs, at, 1, os, it.rowOffset(2, row), n));
            return;
        }
        it.forEachRun(par, (at, len) -> {
            if (vectorisable) {
                ElementwiseRuns.binary(op, as, at[0], sa, bs, at[1], sb, os, at[2], len);
                return;
            }
            for (int i = 0; i < len; i++) {
                float va = as.getAtIndex(F, at[0] + (long) i * sa);
                float vb = bs.getAtIndex(F, at[1] + (long) i * sb);
                os.setAtIndex(F, at[2] + (long) i * so, VectorMath.scalar(op, va, vb));
            }
        });
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        if (!f32(a, b, out) || cond.dtype() != DType.BOOL || out.numel() == 0) {
            super.where(cond, a, b, out);
            return;
        }
        MemorySegment cs = segment(cond);
        MemorySegment as = segment(a);
        MemorySegment bs = segment(b);
        MemorySegment os = segment(out);
        Strided it = Strided.of(out.shape(), new long[] {cond.offset(), a.offset(), b.offset(), out.offset()},
                cond.strides(), a.strides(), b.strides(), out.strides());
        int sc = it.innerStride(0);
        int sa = it.innerStride(1);
        int sb = it.innerStride(2);
        int so = it.innerStride(3);
        it.forEachRun(par, (at, n) -> {
            for (int i = 0; i < n; i++) {
                boolean c = cs.get(ValueLayout.JAVA_BYTE, at[0] + (long) i * sc) != 0;
                float v = c ? as.getAtIndex(F, at[1] + (long) i * sa) : bs.getAtIndex(F, at[2] + (long) i * sb);
                os.setAtIndex(F, at[3] + (long) i * so, v);
            }
        });
    }



    // ------------------------------------------------------------------------------------------ reductions

    @Override
    public void reduce(ReduceOp op, Tensor x, int axis, Tensor out) {
        boolean values = op == ReduceOp.SUM || op == ReduceOp.MAX || op == ReduceOp.MIN;
        if (!x.isContiguous() || x.dtype() != DType.F32 || (values && out.dtype() != DType.F32)
                || (!values && out.dtype() != DType.I64) || !out.isContiguous() || out.numel() == 0) {
            super.reduce(op, x, axis, out);
            return;
        }
        int[] shape = x.shape();
        int n = shape[axis];
        long innerCount = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            innerCount *= shape[i];
        }
        long inner = innerCount;
        long outer = x.numel() / Math.max(1, (long) n * inner);
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        long xo = x.offset();
        long oo = out.offset();
        if (inner == 1) {
            par.forRange(Math.toIntExact(outer), Math.max(1, 8192 / Math.max(1, n)), (s, e) -> {
                for (long r = s; r < e; r++) {
                    long base = xo + r * n;
                    switch (op) {
                        case SUM -> os.setAtIndex(F, oo + r, rowSum(xs, base, n));
                        case MAX -> os.setAtIndex(F, oo + r, rowMax(xs, base, n));
                        case MIN -> os.setAtIndex(F, oo + r, -rowMaxNeg(xs, base, n));
                        case ARGMAX, ARGMIN -> os.setAtIndex(L, oo + r, rowArg(xs, base, n, op == ReduceOp.ARGMAX));
                    }
                }
            });
            return;
        }
        if (!values) {
            super.reduce(op, x, axis, out);
            return;
        }
        int in = Math.toIntExact(inner);
        par.forRange(Math.toIntExact(outer), 1, (s, e) -> {
            for (long r = s; r < e; r++) {
                long src = xo + r * n * inner;
                long dst = oo + r * inner;
                MemorySegment.copy(xs, src * 4, os, dst * 4, inner * 4);
                for (int k = 1; k < n; k++) {
                    long row = src + k * inner;
                    int j = 0;
                    for (; j <= in - V; j += V) {
                        FloatVector acc = load(os, dst + j);
                        FloatVector v = load(xs, row + j);
                        (op == ReduceOp.SUM ? acc.add(v) : op == ReduceOp.MAX ? acc.max(v) : acc.min(v))
                                .intoMemorySegment(os, (dst + j) * 4, NATIVE);
                    }
                    for (; j < in; j++) {
                        float acc = os.getAtIndex(F, dst + j);
                        float v = xs.getAtIndex(F, row + j);
                        os.setAtIndex(F, dst + j, op == ReduceOp.SUM ? acc + v
                                : op == ReduceOp.MAX ? Math.max(acc, v) : Math.min(acc, v));
                    }
                }
            }
        });
    }

    private static float rowSum(MemorySegment s, long base, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - V; i += V) {
            acc = acc.add(load(s, base + i));
        }
        float sum = VectorMath.sum(acc);
        for (; i < n; i++) {
            sum += s.getAtIndex(F, base + i);
        }
        return sum;
    }

    private static float rowMax(MemorySegment s, long base, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - V; i += V) {
            acc = acc.max(load(s, base + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, s.getAtIndex(F, base + i));
        }
        return m;
    }

    private static float rowMaxNeg(MemorySegment s, long base, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, -s.getAtIndex(F, base + i));
        }
        return m;
    }

    private static long rowArg(MemorySegment s, long base, int n, boolean max) {
        int best = 0;
        float bv = s.getAtIndex(F, base);
        for (int i = 1; i < n; i++) {
            float v = s.getAtIndex(F, base + i);
            if (max ? v > bv : v < bv) {
                bv = v;
                best = i;
            }
        }
        return best;
    }

    // ------------------------------------------------------------------------------------------ matmul

    /** The weight gradient's product with the bias gradient's sums taken from its packed panels of g (Gemm). */
    @Override
    public void linearParamGradients(Tensor x, Tensor g, Tensor dw, Tensor db) {
        if (!f32(x, g, dw, db) || x.dim() != 2 || g.dim() != 2 || !dw.isContiguous() || !db.isContiguous()
                || x.size(1) == 0) {
            super.linearParamGradients(x, g, dw, db);
            return;
        }
        int[] xs = x.strides();
        int[] gs = g.strides();
        int n = g.size(1);
        Gemm.sgemmWithColumnSums(x.size(1), n, x.size(0), new Gemm.Operand(segment(x), x.offset(), xs[1], xs[0]),
                new Gemm.Operand(segment(g), g.offset(), gs[0], gs[1]), segment(dw), dw.offset(), n, par, segment(db),
                db.offset());
    }

    @Override
    public void matmulAccumulate(Tensor a, Tensor b, Tensor out) {
        if (a.dim() != 2 || b.dim() != 2 || !f32(a, b, out) || !out.isContiguous()) {
            super.matmulAccumulate(a, b, out);
            return;
        }
        int[] as = a.strides();
        int[] bs = b.strides();
        Gemm.sgemmAccumulate(out.shape()[0], out.shape()[1], a.shape()[1],
                new Gemm.Operand(segment(a), a.offset(), as[0], as[1]), new Gemm.Operand(segment(b), b.offset(), bs[0], bs[1]),
                segment(out), out.offset(), out.shape()[1], par);
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        boolean bf16 = b.dtype() == DType.BF16; // 16-bit weights, float32 activations: widened as B is read
        if (!f32(a, out) || !(bf16 || f32(b)) || !out.isContiguous()) {
            super.matmul(a, b, out);
            return;
        }
        int r = out.dim();
        int[] os = out.shape();
        int m = os[r - 2];
        int n = os[r - 1];
        int k = a.shape()[r - 1];
        int[] ast = a.strides();
        int[] bst = b.strides();
        int batches = 1;
        for (int i = 0; i < r - 2; i++) {
            batches *= os[i];
        }
        MemorySegment aseg = segment(a);
        MemorySegment bseg = segment(b);
        MemorySegment oseg = segment(out);
        long matrix = (long) m * n;
        long flops = 2L * m * n * k;
        int nb = batches;
        Parallel.Range run = (s, e) -> {
            Parallel inner = e - s == nb ? par : SERIAL;
            for (int bi = s; bi < e; bi++) {
                long ao = a.offset();
                long bo = b.offset();
                int rem = bi;
                for (int d = r - 3; d >= 0; d--) {
                    int idx = rem % os[d];
                    rem /= os[d];
                    ao += (long) idx * ast[d];
                    bo += (long) idx * bst[d];
                }
                if (m == 1 && Gemv.supports(bst[r - 2], bst[r - 1])) {
                    Gemv.run(n, k, aseg, ao, ast[r - 1], bseg, bo, bst[r - 2], bst[r - 1], bf16, oseg,
                            out.offset() + bi * matrix, inner);
                } else {
                    Gemm.sgemm(m, n, k, new Gemm.Operand(aseg, ao, ast[r - 2], ast[r - 1]),
                            new Gemm.Operand(bseg, bo, bst[r - 2], bst[r - 1], bf16), oseg, out.offset() + bi * matrix, n,
                            inner);
                }
            }
        };
        if (batches > 1 && flops < 50_000_000L) {
            par.forRange(batches, 1, run); // many small products: one thread per group of batches
        } else {
            run.run(0, batches);
        }
    }

    @Override
    public void linear(Tensor x, Tensor w, Tensor bias, UnaryOp act, Tensor out) {
        if (!fusesLinear(x, w, bias, out)) {
            super.linear(x, w, bias, act, out);
            return;
        }
        linear(x, w, bias, epilogue(bias, act, out, null), out);
    }

    /**
     * The activation taken from each block of the product while it is in cache, written beside it, instead of in a
     * pass that reads the pre-activation back from memory (8 MB a layer in the GPT training benchmark). Measured, that
     * benchmark's step on one thread, profiled beside the base: GELU's forward pass 10.1 / 9.8 -> 8.6 / 8.6 ms in two
     * pairs, 9.2 / 8.6 -> 9.0 / 8.3 in a third; what is left is GELU's arithmetic (a division and an exp a value).
     * Same bits.
     */
    @Override
    public void linear(Tensor x, Tensor w, Tensor bias, UnaryOp act, Tensor out, Tensor activated) {
        if (!fusesLinear(x, w, bias, out) || !f32(activated) || !activated.isContiguous()
                || !Arrays.equals(activated.shape(), out.shape())) {
            super.linear(x, w, bias, act, out, activated);
            return;
        }
        linear(x, w, bias, epilogue(bias, act, out, activated), out);
    }

    /**
     * What a linear layer's product does to C's values as it writes them: bias and activation (null: neither), the
     * activation into {@code activated} (null: over out) at the same element as out's.
     */
    private static Gemm.Epilogue epilogue(Tensor bias, UnaryOp act, Tensor out, Tensor activated) {
        if (bias == null && act == null) {
            return null;
        }
        return new Gemm.Epilogue(bias == null ? null : segment(bias), bias == null ? 0 : bias.offset(), act,
                activated == null ? null : segment(activated), activated == null ? 0 : activated.offset() - out.offset());
    }

    /** Whether {@link #linear} runs as one product with an epilogue here. */
    private static boolean fusesLinear(Tensor x, Tensor w, Tensor bias, Tensor out) {
        return f32(x, out, bias) && (w.dtype() == DType.BF16 || f32(w)) && out.isContiguous() && x.dim() == 2
                && (bias == null || bias.strides()[0] == 1);
    }

    private void linear(Tensor x, Tensor w, Tensor bias, Gemm.Epilogue epilogue, Tensor out) {
        boolean bf16 = w.dtype() == DType.BF16;
        int m = x.size(0);
        int k = x.size(1);
        int n = w.size(1);
        int[] xs = x.strides();
        int[] ws = w.strides();
        MemorySegment os = segment(out);
        if (m == 1 && Gemv.supports(ws[0], ws[1])) {
            matmul(x, w, out);
            if (epilogue != null) {
                epilogue.apply(os, out.offset(), n, 1, n, 0, true, true);
            }
            return;
        }
        Gemm.sgemm(m, n, k, new Gemm.Operand(segment(x), x.offset(), xs[0], xs[1]),
                new Gemm.Operand(segment(w), w.offset(), ws[0], ws[1], bf16), os, out.offset(), n, par, epilogue);
    }

    // ------------------------------------------------------------------------------------------ optimizer

    @Override
    public void adamw(Tensor p, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
            double decay, double bc1, double bc2) {
        if (!f32(p, grad, m, v) || !p.isContiguous() || !grad.isContiguous() || !m.isContiguous() || !v.isContiguous()
                || grad.numel() != p.numel()) {
            super.adamw(p, grad, m, v, lr, beta1, beta2, eps, decay, bc1, bc2);
            return;
        }
        MemorySegment ps = segment(p);
        MemorySegment gs = segment(grad);
        MemorySegment ms = segment(m);
        MemorySegment vs = segment(v);
        long po = p.offset();
        long go = grad.offset();
        long mo = m.offset();
        long vo = v.offset();
        long n = p.numel();
        // the same float32 operations, in the same order, as the composed default
        float b1 = (float) beta1;
        float c1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float c2 = (float) (1 - beta2);
        float keep = decay > 0 ? (float) (1 - lr * decay) : 1f;
        float invBc2 = (float) (1 / bc2);
        float e = (float) eps;
        float step = (float) (-lr / bc1);
        int chunks = (int) Math.min(Integer.MAX_VALUE, (n + 16383) / 16384);
        par.forRange(chunks, 1, (s0, s1) -> {
            long end = Math.min(n, (long) s1 * 16384);
            long i = (long) s0 * 16384;
            for (; i + V <= end; i += V) {
                FloatVector g = load(gs, go + i);
                FloatVector mv = load(ms, mo + i).mul(b1).add(g.mul(c1));
                FloatVector vv = load(vs, vo + i).mul(b2).add(g.mul(g).mul(c2));
                FloatVector pv = load(ps, po + i);
                if (decay > 0) {
                    pv = pv.mul(keep);
                }
                FloatVector denom = vv.mul(invBc2).sqrt().add(e);
                pv = pv.add(mv.div(denom).mul(step));
                mv.intoMemorySegment(ms, (mo + i) * 4, NATIVE);
                vv.intoMemorySegment(vs, (vo + i) * 4, NATIVE);
                pv.intoMemorySegment(ps, (po + i) * 4, NATIVE);
            }
            for (; i < end; i++) {
                float g = gs.getAtIndex(F, go + i);
                float mv = ms.getAtIndex(F, mo + i) * b1 + g * c1;
                float vv = vs.getAtIndex(F, vo + i) * b2 + g * g * c2;
                float pv = ps.getAtIndex(F, po + i);
                if (decay > 0) {
                    pv *= keep;
                }
                pv += mv / ((float) Math.sqrt(vv * invBc2) + e) * step;
                ms.setAtIndex(F, mo + i, mv);
                vs.setAtIndex(F, vo + i, vv);
                ps.setAtIndex(F, po + i, pv);
            }
        });
    }

    @Override
    public void dropout(Tensor x, DropoutMask mask, Tensor out) {
        if (!f32(x, out) || !x.isContiguous() || !out.isContiguous()) {
            super.dropout(x, mask, out);
            return;
        }
        int cols = x.dim() == 0 ? 1 : x.size(-1);
        long rows = cols == 0 ? 0 : x.numel() / cols;
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        par.forRange(Math.toIntExact(rows), Math.max(1, 16384 / Math.max(1, cols)),
                (r0, r1) -> DropoutRows.apply(xs, x.offset(), os, out.offset(), cols, r0, r1, mask));
    }

    // ------------------------------------------------------------------------------------------ attention

    /** FusedAttention's case: float32, rows of unit stride, heads of at most 512 values (one row of packed A). */
    private static boolean fusable(Tensor q, Tensor k, Tensor v, Tensor bias) {
        return f32(q, k, v, bias) && unitRows(q, k, v) && q.size(3) <= Gemm.KC;
    }

    /** FusedAttention reads and writes every [B, H, T, D] operand through its strides. */
    @Override
    public boolean attentionTakesStridedRows() {
        return true;
    }

    /** [B, H, T, D] views whose rows are contiguous (any batch, head and row strides: [B, T, H, D] memory). */
    private static boolean unitRows(Tensor... ts) {
        for (Tensor t : ts) {
            if (t.strides()[3] != 1) {
                return false;
            }
        }
        return true;
    }

    private static FusedAttention.View view(Tensor t) {
        return t == null ? null : new FusedAttention.View(segment(t), t.offset(), t.strides());
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse) {
        attention(q, k, v, bias, scale, dropout, out, lse, null);
    }

    /**
     * Up to {@link FusedAttention#SAVED_MAX_KEYS} keys, each query's exponentials exp(s - max) and their sum, which the
     * backward pass would otherwise recompute (Q K^T and its softmax). GPT training, one thread, profiled, attention's
     * forward and backward passes together: 62.0 and 61.2 -> 57.5 and 59.1 ms a step (heads of 64; the backward pass
     * 44 -> 38, the forward pass 2-3 ms more for writing them), 39.3 and 38.2 -> 35.1 and 37.2 for `pretrain gpt`'s
     * heads of 32. Memory: [B, H, Tq, Tk + 1] floats, 4 MB a layer for 16 sequences of 128 tokens over 4 heads.
     */
    @Override
    public int attentionSavedPerQuery(int tk, int d) {
        return tk <= FusedAttention.SAVED_MAX_KEYS ? tk + 1 : 0;
    }

    // The forward pass falls back (and writes nothing into saved) only where the backward pass does too: the
    // backward's conditions include the forward's, so it never reads what was not written.
    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse, Tensor saved) {
        if (!fusable(q, k, v, bias) || !f32(out, lse) || out.strides()[3] != 1) {
            super.attention(q, k, v, bias, scale, dropout, out, lse);
            return;
        }
        int[] s = q.shape();
        FusedAttention.forward(s[0], s[1], s[2], k.size(2), s[3], view(q), view(k), view(v), view(bias), (float) scale,
                dropout, view(out), segment(lse), lse.offset(), savedSegment(saved, q, k.size(2)),
                saved == null ? 0 : saved.offset(), par);
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse, Tensor gradOut, Tensor gq, Tensor gk, Tensor gv, Tensor gBias) {
        attentionBackward(q, k, v, bias, scale, dropout, out, lse, null, gradOut, gq, gk, gv, gBias);
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse, Tensor saved, Tensor gradOut, Tensor gq, Tensor gk, Tensor gv, Tensor gBias) {
        if (!fusable(q, k, v, bias) || !f32(out, lse, gradOut, gq, gk, gv) || !unitRows(out, gradOut, gq, gk, gv)
                || (gBias != null && (!f32(gBias) || scale == 0))) {
            super.attentionBackward(q, k, v, bias, scale, dropout, out, lse, gradOut, gq, gk, gv, gBias);
            return;
        }
        int[] s = q.shape();
        FusedAttention.backward(s[0], s[1], s[2], k.size(2), s[3], view(q), view(k), view(v), view(bias), (float) scale,
                dropout, view(out), segment(lse), lse.offset(), savedSegment(saved, q, k.size(2)),
                saved == null ? 0 : saved.offset(), view(gradOut), view(gq), view(gk), view(gv),
                gBias == null ? null : segment(gBias), gBias == null ? 0 : gBias.offset(), par);
    }

    /** saved's memory (null: none); it must be what this backend asks for, contiguous float32 [B, H, Tq, tk + 1]. */
    private static MemorySegment savedSegment(Tensor saved, Tensor q, int tk) {
        if (saved == null) {
            return null;
        }
        int[] s = q.shape();
        if (saved.dtype() != DType.F32 || !saved.isContiguous() || tk > FusedAttention.SAVED_MAX_KEYS
                || !Arrays.equals(saved.shape(), new int[] {s[0], s[1], s[2], tk + 1})) {
            throw new IllegalArgumentException("attention: saved " + saved.dtype() + " "
                    + Arrays.toString(saved.shape()) + " is not the contiguous float32 [" + s[0] + ", " + s[1] + ", "
                    + s[2] + ", " + (tk + 1) + "] this backend keeps for " + tk + " keys");
        }
        return segment(saved);
    }

    // ------------------------------------------------------------------------------------------ indexing

    @Override
    public void indexSelect(Tensor src, int dim, Tensor index, Tensor out) {
        if (dim != 0 || !f32(src, out) || !src.isContiguous() || !out.isContiguous()) {
            super.indexSelect(src, dim, index, out);
            return;
        }
        long row = src.numel() / Math.max(1, src.shape()[0]);
        long[] ids = index.toLongArray();
        MemorySegment s = segment(src);
        MemorySegment o = segment(out);
        par.forRange(ids.length, Math.max(1, (int) (16384 / Math.max(1, row))), (st, e) -> {
            for (int i = st; i < e; i++) {
                MemorySegment.copy(s, (src.offset() + ids[i] * row) * 4, o, (out.offset() + i * row) * 4, row * 4);
            }
        });
    }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        if (dim != 0 || !f32(src, dst) || !src.isContiguous() || !dst.isContiguous()) {
            super.indexAdd(dst, dim, index, src);
            return;
        }
        int row = Math.toIntExact(dst.numel() / Math.max(1, dst.shape()[0]));
        long[] ids = index.toLongArray();
        MemorySegment s = segment(src);
        MemorySegment d = segment(dst);
        // Serial over ids: two ids may name the same row, and the order of additions must not depend on threads.
        // Parallel over the columns of each row instead.
        par.forRange(row, 4096, (c0, c1) -> {
            for (int i = 0; i < ids.length; i++) {
                long so = src.offset() + (long) i * row;
                long dOff = dst.offset() + ids[i] * row;
                int c = c0;
                for (; c <= c1 - V; c += V) {
                    load(d, dOff + c).add(load(s, so + c)).intoMemorySegment(d, (dOff + c) * 4, NATIVE);
                }
                for (; c < c1; c++) {
                    d.setAtIndex(F, dOff + c, d.getAtIndex(F, dOff + c) + s.getAtIndex(F, so + c));
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------ fused row ops

    private static int rows(Tensor x) {
        int c = x.shape()[x.dim() - 1];
        return c == 0 ? 0 : Math.toIntExact(x.numel() / c);
    }

    private int rowGrain(int c) {
        return Math.max(1, 16384 / Math.max(1, c));
    }

    @Override
    public void softmax(Tensor x, Tensor out, boolean log) {
        if (!f32(x, out)) {
            super.softmax(x, out, log);
            return;
        }
        int c = x.shape()[x.dim() - 1];
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        par.forRange(rows(x), rowGrain(c), (s, e) -> {
            for (int r = s; r < e; r++) {
                long xb = x.offset() + (long) r * c;
                long ob = out.offset() + (long) r * c;
                float max = rowMax(xs, xb, c);
                float sum = ElementwiseRuns.expRun(xs, xb, max, 1f, log ? null : os, ob, c);
                if (log) {
                    float shift = max + (float) Math.log(sum);
                    FloatVector vs = FloatVector.broadcast(S, shift);
                    int j = 0;
                    for (; j <= c - V; j += V) {
                        load(xs, xb + j).sub(vs).intoMemorySegment(os, (ob + j) * 4, NATIVE);
                    }
                    for (; j < c; j++) {
                        os.setAtIndex(F, ob + j, xs.getAtIndex(F, xb + j) - shift);
                    }
                } else {
                    float inv = 1f / sum;
                    int j = 0;
                    for (; j <= c - V; j += V) {
                        load(os, ob + j).mul(inv).intoMemorySegment(os, (ob + j) * 4, NATIVE);
                    }
                    for (; j < c; j++) {
                        os.setAtIndex(F, ob + j, os.getAtIndex(F, ob + j) * inv);
                    }
                }
            }
        });
    }

    private static boolean unitStride(Tensor t) {
        return t == null || t.strides()[0] == 1;
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd) {
        if (!f32(x, weight, bias, out, mean, rstd) || !unitStride(weight) || !unitStride(bias)) {
            super.layerNorm(x, weight, bias, eps, out, mean, rstd);
            return;
        }
        int c = x.shape()[x.dim() - 1];
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        MemorySegment ws = weight == null ? null : segment(weight);
        MemorySegment bs = bias == null ? null : segment(bias);
        MemorySegment ms = segment(mean);
        MemorySegment rs = segment(rstd);
        par.forRange(rows(x), rowGrain(c), (s, e) -> {
            for (int r = s; r < e; r++) {
                long xb = x.offset() + (long) r * c;
                long ob = out.offset() + (long) r * c;
                float mu = rowSum(xs, xb, c) / c;
                FloatVector vmu = FloatVector.broadcast(S, mu);
                FloatVector acc = FloatVector.zero(S);
                int i = 0;
                for (; i <= c - V; i += V) {
                    FloatVector d = load(xs, xb + i).sub(vmu);
                    acc = d.fma(d, acc);
                }
                float var = VectorMath.sum(acc);
                for (; i < c; i++) {
                    float d = xs.getAtIndex(F, xb + i) - mu;
                    var += d * d;
                }
                float rsd = (float) (1 / Math.sqrt(var / c + eps));
                ms.setAtIndex(F, mean.offset() + r, mu);
                rs.setAtIndex(F, rstd.offset() + r, rsd);
                normalizeRow(xs, xb, os, ob, c, mu, rsd, ws, weight, bs, bias);
            }
        });
    }

    /**
     * Layer (and RMS) norm's gradients in two passes over each row: the row's sums of g w and g w xhat, then dx;
     * dweight and dbias are summed per chunk of rows, then over chunks.
     */
    @Override
    public void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor g, Tensor dx,
            Tensor dweight, Tensor dbias) {
        layerNormBackward(x, weight, mean, rstd, g, dx, dweight, dbias, null);
    }

    /**
     * The addend read as dx is written, instead of a pass of its own that read dx back. Measured, the GPT training
     * benchmark on one thread, profiled in two pairs: the backward pass's gradient sums 3.3 / 3.5 -> 0.0 / 0.0 ms a
     * step, layer norm's backward 6.9 / 7.0 -> 8.4 / 8.0 ms: 2.2 ms less in all. Same bits.
     */
    @Override
    public void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor g, Tensor dx,
            Tensor dweight, Tensor dbias, Tensor addend) {
        if (!normBackwardFusable(x, weight, mean, rstd, g, dx, dweight, dbias) || !addendFusable(addend, x)) {
            super.layerNormBackward(x, weight, mean, rstd, g, dx, dweight, dbias, addend);
            return;
        }
        normBackward(x, weight, mean, rstd, g, dx, dweight, dbias, addend);
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor g, Tensor dx, Tensor dweight) {
        rmsNormBackward(x, weight, rstd, g, dx, dweight, null);
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor g, Tensor dx, Tensor dweight,
            Tensor addend) {
        if (!normBackwardFusable(x, weight, null, rstd, g, dx, dweight, null) || !addendFusable(addend, x)) {
            super.rmsNormBackward(x, weight, rstd, g, dx, dweight, addend);
            return;
        }
        normBackward(x, weight, null, rstd, g, dx, dweight, null, addend);
    }

    /** An addend (null: none) the norms' kernel reads as it writes dx: contiguous float32 of x's shape. */
    private static boolean addendFusable(Tensor addend, Tensor x) {
        return addend == null || (f32(addend) && addend.isContiguous() && Arrays.equals(addend.shape(), x.shape()));
    }

    private static boolean normBackwardFusable(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor g, Tensor dx,
            Tensor dweight, Tensor dbias) {
        if (!f32(x, weight, mean, rstd, g, dx, dweight, dbias) || !unitStride(weight)) {
            return false;
        }
        for (Tensor t : new Tensor[] {x, mean, rstd, g, dx, dweight, dbias}) {
            if (t != null && !t.isContiguous()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Layer norm's gradients, or RMS norm's when {@code mean} is null (no centring), with {@code addend} (null: none)
     * added into dx.
     */
    private void normBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor g, Tensor dx, Tensor dweight,
            Tensor dbias, Tensor addend) {
        int c = x.shape()[x.dim() - 1];
        MemorySegment xs = segment(x);
        MemorySegment gs = segment(g);
        MemorySegment ds = segment(dx);
        MemorySegment ws = weight == null ? null : segment(weight);
        MemorySegment ms = mean == null ? null : segment(mean);
        MemorySegment rs = segment(rstd);
        MemorySegment as = addend == null ? null : segment(addend);
        long wo = weight == null ? 0 : weight.offset();
        // each chunk's partial sums, keyed by its first row and added in row order after the pass, so the result
        // does not depend on which thread finished first
        var partials = new java.util.concurrent.ConcurrentSkipListMap<Integer, float[][]>();
        par.forRange(rows(x), rowGrain(c), (s, e) -> {
            float[] dw = dweight == null ? null : new float[c];
            float[] db = dbias == null ? null : new float[c];
            for (int r = s; r < e; r++) {
                normBackwardRow(xs, x.offset() + (long) r * c, gs, g.offset() + (long) r * c, ds,
                        dx.offset() + (long) r * c, c, ms == null ? 0f : ms.getAtIndex(F, mean.offset() + r),
                        ms != null, rs.getAtIndex(F, rstd.offset() + r), ws, wo, dw, db, as,
                        as == null ? 0 : addend.offset() + (long) r * c);
            }
            partials.put(s, new float[][] {dw, db});
        });
        float[] dwTotal = dweight == null ? null : new float[c];
        float[] dbTotal = dbias == null ? null : new float[c];
        for (float[][] p : partials.values()) {
            for (int i = 0; i < c; i++) {
                if (dwTotal != null) {
                    dwTotal[i] += p[0][i];
                }
                if (dbTotal != null) {
                    dbTotal[i] += p[1][i];
                }
            }
        }
        if (dwTotal != null) {
            MemorySegment.copy(dwTotal, 0, segment(dweight), F, dweight.offset() * 4, c);
        }
        if (dbTotal != null) {
            MemorySegment.copy(dbTotal, 0, segment(dbias), F, dbias.offset() * 4, c);
        }
    }

    /**
     * One row of {@link #normBackward}: without {@code centred} (RMS norm) the mean of g w is not subtracted; the
     * addend's row from element {@code ab} (as null: none) is added to dx's values after they are rounded, so the
     * sum is the one autograd would take.
     */
    private static void normBackwardRow(MemorySegment xs, long xb, MemorySegment gs, long gb, MemorySegment ds,
            long db0, int c, float mu, boolean centred, float rsd, MemorySegment ws, long wo, float[] dw, float[] db,
            MemorySegment as, long ab) {
        FloatVector vmu = FloatVector.broadcast(S, mu);
        FloatVector sumGw = FloatVector.zero(S);
        FloatVector sumGwx = FloatVector.zero(S);
        int i = 0;
        for (; i <= c - V; i += V) {
            FloatVector gv = load(gs, gb + i);
            FloatVector xhat = load(xs, xb + i).sub(vmu).mul(rsd);
            FloatVector gw = ws == null ? gv : gv.mul(load(ws, wo + i));
            sumGw = sumGw.add(gw);
            sumGwx = gw.fma(xhat, sumGwx);
            if (dw != null) {
                gv.fma(xhat, FloatVector.fromArray(S, dw, i)).intoArray(dw, i);
            }
            if (db != null) {
                gv.add(FloatVector.fromArray(S, db, i)).intoArray(db, i);
            }
        }
        float a = VectorMath.sum(sumGw);
        float b = VectorMath.sum(sumGwx);
        for (int j = i; j < c; j++) {
            float gv = gs.getAtIndex(F, gb + j);
            float xhat = (xs.getAtIndex(F, xb + j) - mu) * rsd;
            float gw = ws == null ? gv : gv * ws.getAtIndex(F, wo + j);
            a += gw;
            b += gw * xhat;
            if (dw != null) {
                dw[j] += gv * xhat;
            }
            if (db != null) {
                db[j] += gv;
            }
        }
        float meanGw = centred ? a / c : 0f;
        float meanGwx = b / c;
        FloatVector vMeanGw = FloatVector.broadcast(S, meanGw);
        FloatVector vMeanGwx = FloatVector.broadcast(S, meanGwx);
        i = 0;
        for (; i <= c - V; i += V) {
            FloatVector gv = load(gs, gb + i);
            FloatVector xhat = load(xs, xb + i).sub(vmu).mul(rsd);
            FloatVector gw = ws == null ? gv : gv.mul(load(ws, wo + i));
            FloatVector d = gw.sub(vMeanGw).sub(xhat.mul(vMeanGwx)).mul(rsd);
            if (as != null) {
                d = load(as, ab + i).add(d);
            }
            d.intoMemorySegment(ds, (db0 + i) * 4, NATIVE);
        }
        for (; i < c; i++) {
            float gv = gs.getAtIndex(F, gb + i);
            float xhat = (xs.getAtIndex(F, xb + i) - mu) * rsd;
            float gw = ws == null ? gv : gv * ws.getAtIndex(F, wo + i);
            float d = (gw - meanGw - xhat * meanGwx) * rsd;
            ds.setAtIndex(F, db0 + i, as == null ? d : as.getAtIndex(F, ab + i) + d);
        }
    }

    private static void normalizeRow(MemorySegment xs, long xb, MemorySegment os, long ob, int c, float mu, float rsd,
            MemorySegment ws, Tensor weight, MemorySegment bs, Tensor bias) {
        FloatVector vmu = FloatVector.broadcast(S, mu);
        long wo = weight == null ? 0 : weight.offset();
        long bo = bias == null ? 0 : bias.offset();
        int i = 0;
        for (; i <= c - V; i += V) {
            FloatVector y = load(xs, xb + i).sub(vmu).mul(rsd);
            if (ws != null) {
                y = y.mul(load(ws, wo + i));
            }
            if (bs != null) {
                y = y.add(load(bs, bo + i));
            }
            y.intoMemorySegment(os, (ob + i) * 4, NATIVE);
        }
        for (; i < c; i++) {
            float y = (xs.getAtIndex(F, xb + i) - mu) * rsd;
            if (ws != null) {
                y *= ws.getAtIndex(F, wo + i);
            }
            if (bs != null) {
                y += bs.getAtIndex(F, bo + i);
            }
            os.setAtIndex(F, ob + i, y);
        }
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out, Tensor rstd) {
        if (!f32(x, weight, out, rstd) || !unitStride(weight)) {
            super.rmsNorm(x, weight, eps, out, rstd);
            return;
        }
        int c = x.shape()[x.dim() - 1];
        MemorySegment xs = segment(x);
        MemorySegment os = segment(out);
        MemorySegment ws = weight == null ? null : segment(weight);
        MemorySegment rs = segment(rstd);
        par.forRange(rows(x), rowGrain(c), (s, e) -> {
            for (int r = s; r < e; r++) {
                long xb = x.offset() + (long) r * c;
                FloatVector acc = FloatVector.zero(S);
                int i = 0;
                for (; i <= c - V; i += V) {
                    FloatVector v = load(xs, xb + i);
                    acc = v.fma(v, acc);
                }
                float ss = VectorMath.sum(acc);
                for (; i < c; i++) {
                    float v = xs.getAtIndex(F, xb + i);
                    ss += v * v;
                }
                float rsd = (float) (1 / Math.sqrt(ss / c + eps));
                rs.setAtIndex(F, rstd.offset() + r, rsd);
                normalizeRow(xs, xb, os, out.offset() + (long) r * c, c, 0f, rsd, ws, weight, null, null);
            }
        });
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor targets, long ignoreIndex, Tensor loss, Tensor logSumExp) {
        if (!f32(logits, loss, logSumExp) || targets.dtype() != DType.I64) {
            super.crossEntropy(logits, targets, ignoreIndex, loss, logSumExp);
            return;
        }
        crossEntropyRows(logits, targets, ignoreIndex, 0, loss, logSumExp, null);
    }

    /**
     * Each row's exponentials are written into grad as the sum is taken, then scaled by scale / sum: one exp per logit
     * where the two calls take two. Measured, one thread, the GPT training bench's LM head (8 chunks of 256 x 8,192):
     * 16.3 -> 11.0 ms a step (crossEntropy 9.3 and crossEntropyBackward 7.0 before).
     */
    @Override
    public void crossEntropyWithGradient(Tensor logits, Tensor targets, long ignoreIndex, double scale, Tensor loss,
            Tensor logSumExp, Tensor grad) {
        if (!f32(logits, loss, logSumExp, grad) || targets.dtype() != DType.I64) {
            super.crossEntropyWithGradient(logits, targets, ignoreIndex, scale, loss, logSumExp, grad);
            return;
        }
        crossEntropyRows(logits, targets, ignoreIndex, scale, loss, logSumExp, grad);
    }

    /** Loss and log-sum-exp of each row, and with {@code grad} not null its gradient times {@code scale}. */
    private void crossEntropyRows(Tensor logits, Tensor targets, long ignoreIndex, double scale, Tensor loss,
            Tensor logSumExp, Tensor grad) {
        int n = logits.shape()[0];
        int c = logits.shape()[1];
        float sc = (float) scale;
        MemorySegment xs = segment(logits);
        MemorySegment ts = segment(targets);
        MemorySegment ls = segment(loss);
        MemorySegment es = segment(logSumExp);
        MemorySegment gs = grad == null ? null : segment(grad);
        par.forRange(n, rowGrain(c), (s, e) -> {
            float[] nextMax = {rowMax(xs, logits.offset() + (long) s * c, c)};
            for (int r = s; r < e; r++) {
                long xb = logits.offset() + (long) r * c;
                long gb = grad == null ? 0 : grad.offset() + (long) r * c;
                long t = ts.getAtIndex(L, targets.offset() + r);
                float target = t == ignoreIndex ? 0f : xs.getAtIndex(F, xb + t); // before grad overwrites it
                float max = nextMax[0];
                float sum = r + 1 == e ? ElementwiseRuns.expRun(xs, xb, max, 1f, gs, gb, c)
                        : ElementwiseRuns.expRunWithNextMax(xs, xb, max, xb + c, nextMax, gs, gb, c);
                float lse = max + (float) Math.log(sum);
                es.setAtIndex(F, logSumExp.offset() + r, lse);
                ls.setAtIndex(F, loss.offset() + r, t == ignoreIndex ? 0f : lse - target);
                if (gs == null) {
                    continue;
                }
                if (t == ignoreIndex) {
                    gs.asSlice(gb * 4, (long) c * 4).fill((byte) 0);
                } else {
                    ElementwiseRuns.scaleFlushingDenormals(gs, gb, gs, gb, c, sc / sum);
                    gs.setAtIndex(F, gb + t, gs.getAtIndex(F, gb + t) - sc);
                }
            }
        });
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, long ignoreIndex, double scale,
            Tensor grad) {
        if (!f32(logits, logSumExp, grad) || targets.dtype() != DType.I64) {
            super.crossEntropyBackward(logits, targets, logSumExp, ignoreIndex, scale, grad);
            return;
        }
        int n = logits.shape()[0];
        int c = logits.shape()[1];
        float sc = (float) scale;
        MemorySegment xs = segment(logits);
        MemorySegment ts = segment(targets);
        MemorySegment es = segment(logSumExp);
        MemorySegment gs = segment(grad);
        par.forRange(n, rowGrain(c), (s, e) -> {
            for (int r = s; r < e; r++) {
                long xb = logits.offset() + (long) r * c;
                long gb = grad.offset() + (long) r * c;
                long t = ts.getAtIndex(L, targets.offset() + r);
                if (t == ignoreIndex) {
                    gs.asSlice(gb * 4, (long) c * 4).fill((byte) 0);
                    continue;
                }
                ElementwiseRuns.expRun(xs, xb, es.getAtIndex(F, logSumExp.offset() + r), sc, gs, gb, c);
                gs.setAtIndex(F, gb + t, gs.getAtIndex(F, gb + t) - sc);
            }
        });
    }
}
