package dev.t4j.tensor;

import dev.t4j.autograd.GradNode;

import dev.t4j.autograd.GradMode;

import dev.t4j.backend.Backend;
import dev.t4j.backend.DropoutMask;
import dev.t4j.backend.UnaryOp;

/**
 * The fused operations of neural networks (softmax, norms, cross-entropy) and dropout. Each forward is one
 * backend kernel; each backward is written here in tensor ops from what the forward saved, so no fused op can
 * silently stop gradients.
 */
final class NeuralOps {
    private NeuralOps() {}

    static Tensor softmax(Tensor x, int dim, boolean log) {
        Tensor.checkFloating(log ? "logSoftmax" : "softmax", x);
        int d = Shapes.axis(dim, x.dim());
        int last = x.dim() - 1;
        if (d != last) {
            return softmax(x.transpose(d, last), last, log).transpose(d, last);
        }
        Tensor in = x.contiguous();
        Tensor y = Tensor.empty(in.backend(), in.dtype(), in.shapeRef());
        in.backend().softmax(in, y, log);
        return Tensor.record(y, log ? "logSoftmax" : "softmax", g -> new Tensor[] {log
                ? g.sub(y.exp().mul(g.sum(-1, true)))
                : y.mul(g.sub(g.mul(y).sum(-1, true)))}, in);
    }

    static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        Tensor.checkFloating("layerNorm", x);
        int c = x.size(-1);
        checkParam("layerNorm weight", weight, c, x);
        checkParam("layerNorm bias", bias, c, x);
        Tensor in = x.contiguous();
        int[] rows = java.util.Arrays.copyOf(in.shapeRef(), in.dim() - 1);
        Tensor y = Tensor.empty(in.backend(), in.dtype(), in.shapeRef());
        Tensor mean = Tensor.empty(in.backend(), in.dtype(), rows);
        Tensor rstd = Tensor.empty(in.backend(), in.dtype(), rows);
        in.backend().layerNorm(in, weight == null ? null : weight.detach(), bias == null ? null : bias.detach(), eps,
                y, mean, rstd);
        // x's gradient from the rest of the graph (a residual stream's, most often) is added in as dx is written
        return Tensor.recordAccumulating(y, "layerNorm", (g, pending) -> {
            Tensor dx = Tensor.empty(in.backend(), in.dtype(), in.shapeRef());
            Tensor dw = weight == null || !weight.requiresGrad() ? null : Tensor.empty(in.backend(), weight.dtype(), c);
            Tensor db = bias == null || !bias.requiresGrad() ? null : Tensor.empty(in.backend(), bias.dtype(), c);
            in.backend().layerNormBackward(in, weight == null ? null : weight.detach(), mean, rstd, g.contiguous(), dx,
                    dw, db, pending);
            return new Tensor[] {dx, dw, db};
        }, in, weight, bias);
    }

    static Tensor linear(Tensor x, Tensor w, Tensor bias, UnaryOp act) {
        if (act != null && act != UnaryOp.RELU && act != UnaryOp.GELU && act != UnaryOp.GELU_TANH) {
            throw new IllegalArgumentException("linear: the activation must be RELU, GELU or GELU_TANH, not " + act);
        }
        boolean grad = GradMode.isEnabled() && (x.requiresGrad() || w.requiresGrad() || (bias != null && bias.requiresGrad()));
        if (w.dim() != 2 || x.dim() < 1 || x.size(-1) != w.size(0)) {
            throw new IllegalArgumentException("linear: x " + Shapes.str(x.shapeRef()) + " does not chain with the weight "
                    + Shapes.str(w.shapeRef()));
        }
        int n = w.size(1);
        if (bias != null && (bias.dim() != 1 || bias.size(0) != n)) {
            throw new IllegalArgumentException("linear: bias " + Shapes.str(bias.shapeRef()) + " for " + n + " outputs");
        }
        if (x.dim() != 2 || !x.isContiguous() || (bias != null && bias.dtype() != x.dtype())) {
            if (x.dim() > 2 && x.isContiguous() && (bias == null || bias.dtype() == x.dtype())) {
                int[] outShape = x.shapeRef().clone();
                outShape[outShape.length - 1] = n;
                return linear(x.reshape(-1, x.size(-1)), w, bias, act).reshape(outShape);
            }
            Tensor y = x.matmul(w); // views, vectors, mixed bias types: the composed ops
            y = bias == null ? y : y.add(bias);
            return act == null ? y : y.activation(act);
        }
        Tensor.checkSameDevice("linear", x, w);
        MatMul.checkOperandTypes("linear", x, w);
        Tensor out = Tensor.empty(x.backend(), x.dtype(), x.size(0), n);
        Tensor xd = x.detach();
        Tensor wd = w.detach();
        Tensor bd = bias == null ? null : bias.detach();
        // under gradients the activation's backward needs its input: the layer keeps it and writes the activation
        // beside it, as two nodes (linear, then the activation)
        Tensor activated = act != null && grad ? Tensor.empty(x.backend(), x.dtype(), x.size(0), n) : null;
        if (activated == null) {
            x.backend().linear(xd, wd, bd, act, out);
        } else {
            x.backend().linear(xd, wd, bd, act, out, activated);
        }
        Tensor y = linearNode(x, w, bias, xd, wd, out);
        return activated == null ? y : Pointwise.activationNode(act, y, activated);
    }

    /** Records out = x w + bias (computed) with the linear layer's backward pass. */
    private static Tensor linearNode(Tensor x, Tensor w, Tensor bias, Tensor xd, Tensor wd, Tensor out) {
        return Tensor.record(out, "linear", g -> {
            Tensor dx = x.requiresGrad() ? g.matmul(wd.mT()) : null;
            boolean wantW = w.requiresGrad();
            boolean wantB = bias != null && bias.requiresGrad();
            if (wantW && wantB && !MatMul.isTransposedRowMajor(wd) && wd.dtype() == x.dtype()) {
                // x^T g in the weight's own layout, and g's column sums for the bias taken as the product reads g;
                // straight into the parameters' gradients where their values are not wanted (no copy after)
                Tensor dw = w.newGradient(x.backend(), x.dtype());
                Tensor db = bias.newGradient(x.backend(), x.dtype());
                x.backend().linearParamGradients(xd, g, dw, db);
                return new Tensor[] {dx, dw, db};
            }
            return new Tensor[] {dx, wantW ? MatMul.weightGradient(xd, g, wd) : null, wantB ? g.sum(0, false) : null};
        }, x, w, bias);
    }

    static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout) {
        if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) {
            throw new IllegalArgumentException("attention needs q, k, v of 4 dims [B, H, T, D], got "
                    + Shapes.str(q.shapeRef()) + ", " + Shapes.str(k.shapeRef()) + ", " + Shapes.str(v.shapeRef()));
        }
        int[] sq = q.shapeRef();
        int[] sk = k.shapeRef();
        if (sk[0] != sq[0] || sk[1] != sq[1] || sk[3] != sq[3] || !java.util.Arrays.equals(sk, v.shapeRef())) {
            throw new IllegalArgumentException("attention: q " + Shapes.str(sq) + ", k " + Shapes.str(sk) + " and v "
                    + Shapes.str(v.shapeRef()) + " do not fit [B, H, Tq, D], [B, H, Tk, D], [B, H, Tk, D]");
        }
        Tensor.checkSameType("attention", q, k);
        Tensor.checkSameType("attention", q, v);
        return attention(q, k, v, bias, scale, dropout, null, 0);
    }

    /**
     * Self-attention over one projection qkv [B, T, 3 * H * D] holding q, k and v side by side (GPT-2's c_attn): as
     * {@link #attention} of its three thirds split into heads, but where the runtime takes rows of any stride, the
     * backward pass writes the three gradients straight into the thirds of one [B, T, 3 * H * D] gradient, as
     * flash-attention's qkv-packed form, instead of three tensors copied into place (those copies: 2.0 ms a step of
     * GPT training, one thread).
     */
    static Tensor attentionPacked(Tensor qkv, int heads, Tensor bias, double scale, DropoutMask dropout) {
        if (qkv.dim() != 3 || heads <= 0 || qkv.size(2) % (3 * heads) != 0) {
            throw new IllegalArgumentException("attentionPacked: qkv " + Shapes.str(qkv.shapeRef())
                    + " is not [B, T, 3 * heads * D] for " + heads + " heads");
        }
        if (!qkv.backend().attentionTakesStridedRows()) {
            Tensor[] t = thirds(qkv, heads);
            return attention(t[0], t[1], t[2], bias, scale, dropout);
        }
        Tensor[] t = thirds(qkv.detach(), heads);
        return attention(t[0], t[1], t[2], bias, scale, dropout, qkv, heads);
    }

    /** q, k and v of a [B, T, 3 * H * D] projection, as [B, H, T, D] views. */
    private static Tensor[] thirds(Tensor qkv, int heads) {
        int c = qkv.size(2) / 3;
        Tensor[] t = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            t[i] = qkv.narrow(2, i * c, c).reshape(qkv.size(0), qkv.size(1), heads, c / heads).transpose(1, 2);
        }
        return t;
    }

    /** The fused op; with {@code qkv} not null, q, k and v are its {@link #thirds} and its gradient is made whole. */
    private static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor qkv, int heads) {
        int[] sq = q.shapeRef();
        int[] sk = k.shapeRef();
        Tensor b = bias == null ? null : bias.to(q.dtype()).expand(sq[0], sq[1], sq[2], sk[2]).detach();
        var on = q.backend();
        // a backend that takes rows of any stride gets [B, T, H, D] memory seen as [B, H, T, D]: merging the output's
        // heads and splitting its gradients' are then views, not copies
        boolean headsLast = on.attentionTakesStridedRows();
        Tensor out = heads(on, q.dtype(), sq, headsLast);
        Tensor lse = Tensor.empty(on, q.dtype(), sq[0], sq[1], sq[2]);
        Tensor qd = q.detach();
        Tensor kd = k.detach();
        Tensor vd = v.detach();
        boolean wantGrad = GradMode.isEnabled()
                && (qkv != null ? qkv.requiresGrad() : q.requiresGrad() || k.requiresGrad() || v.requiresGrad());
        int perQuery = wantGrad ? on.attentionSavedPerQuery(sk[2], sq[3]) : 0;
        Tensor saved = perQuery > 0 ? Tensor.empty(on, DType.F32, sq[0], sq[1], sq[2], perQuery) : null;
        on.attention(qd, kd, vd, b, scale, dropout, out, lse, saved);
        GradNode.Backward backward = g -> {
            Tensor gqkv = qkv == null ? null : Tensor.empty(on, q.dtype(), qkv.shapeRef());
            Tensor[] gs = gqkv != null ? thirds(gqkv, heads) : new Tensor[] {heads(on, q.dtype(), sq, headsLast),
                heads(on, q.dtype(), sk, headsLast), heads(on, q.dtype(), sk, headsLast)};
            boolean biasGrad = bias != null && bias.requiresGrad();
            Tensor gb = biasGrad ? Tensor.empty(on, q.dtype(), sq[0], sq[1], sq[2], sk[2]) : null;
            Tensor dO = headsLast && g.strides()[3] == 1 ? g : g.contiguous();
            on.attentionBackward(qd, kd, vd, b, scale, dropout, out, lse, saved, dO, gs[0], gs[1], gs[2], gb);
            Tensor gBias = biasGrad ? gb.sumTo(bias.shapeRef()).to(bias.dtype()) : null;
            return gqkv != null ? new Tensor[] {gqkv, gBias} : new Tensor[] {gs[0], gs[1], gs[2], gBias};
        };
        return qkv != null ? Tensor.record(out, "attention", backward, qkv, bias)
                : Tensor.record(out, "attention", backward, q, k, v, bias);
    }

    /** An uninitialised [B, H, T, D] tensor: contiguous, or a view of [B, T, H, D] memory when {@code headsLast}. */
    private static Tensor heads(Backend on, DType dtype, int[] bhtd, boolean headsLast) {
        if (!headsLast) {
            return Tensor.empty(on, dtype, bhtd);
        }
        return Tensor.empty(on, dtype, bhtd[0], bhtd[2], bhtd[1], bhtd[3]).transpose(1, 2);
    }

    static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        Tensor.checkFloating("rmsNorm", x);
        int c = x.size(-1);
        checkParam("rmsNorm weight", weight, c, x);
        Tensor in = x.contiguous();
        int[] rows = java.util.Arrays.copyOf(in.shapeRef(), in.dim() - 1);
        Tensor y = Tensor.empty(in.backend(), in.dtype(), in.shapeRef());
        Tensor rstd = Tensor.empty(in.backend(), in.dtype(), rows);
        in.backend().rmsNorm(in, weight == null ? null : weight.detach(), eps, y, rstd);
        return Tensor.recordAccumulating(y, "rmsNorm", (g, pending) -> { // as layerNorm's
            Tensor dx = Tensor.empty(in.backend(), in.dtype(), in.shapeRef());
            Tensor dw = weight == null || !weight.requiresGrad() ? null : Tensor.empty(in.backend(), weight.dtype(), c);
            in.backend().rmsNormBackward(in, weight == null ? null : weight.detach(), rstd, g.contiguous(), dx, dw,
                    pending);
            return new Tensor[] {dx, dw};
        }, in, weight);
    }

    private static void checkParam(String what, Tensor p, int c, Tensor x) {
        if (p != null && (p.dim() != 1 || p.size(0) != c)) {
            throw new IllegalArgumentException(what + " has shape " + Shapes.str(p.shapeRef()) + ", expected [" + c
                    + "] for input " + Shapes.str(x.shapeRef()));
        }
        if (p != null) {
            Tensor.checkSameType(what, x, p);
        }
    }

    /**
     * Dropout with a mask drawn from one number of {@code gen} ({@link DropoutMask}): the backend draws it in its
     * kernel, forward and again backward, instead of a host loop drawing a double per value and a mask tensor kept
     * for the backward pass (measured, GPT training at dropout 0.1, one thread: that loop and its uploads took 22 ms
     * of a 429 ms step).
     */
    static Tensor dropout(Tensor x, double p, Generator gen, boolean training) {
        if (p < 0 || p >= 1) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        return dropout(x, new DropoutMask(p, gen.nextLong()));
    }

    static Tensor dropout(Tensor x, DropoutMask mask) {
        Tensor.checkFloating("dropout", x);
        Tensor in = x.contiguous();
        Tensor out = Tensor.empty(in.backend(), in.dtype(), in.shapeRef());
        in.backend().dropout(in.detach(), mask, out);
        return Tensor.record(out, "dropout", g -> {
            Tensor dx = Tensor.empty(in.backend(), in.dtype(), in.shapeRef());
            in.backend().dropout(g.contiguous(), mask, dx);
            return new Tensor[] {dx};
        }, in);
    }

    /**
     * The targets not equal to {@code ignoreIndex}, after checking that targets [...] (int64 or int32) match the
     * leading dims of {@code shape} ([..., C]) and that each lies in [0, classes).
     */
    private static long countTargets(String op, int[] shape, String what, Tensor targets, int classes,
            long ignoreIndex) {
        int[] lead = java.util.Arrays.copyOf(shape, shape.length - 1);
        if (!java.util.Arrays.equals(lead, targets.shapeRef())) {
            throw new IllegalArgumentException(op + ": targets of shape " + Shapes.str(targets.shapeRef())
                    + " do not match " + what + " " + Shapes.str(shape) + " (expected " + Shapes.str(lead) + ")");
        }
        if (targets.dtype() != DType.I64 && targets.dtype() != DType.I32) {
            throw new IllegalArgumentException(op + ": targets must be int64 or int32, got " + targets.dtype());
        }
        long[] t = targets.toLongArray();
        long count = 0;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == ignoreIndex) {
                continue;
            }
            if (t[i] < 0 || t[i] >= classes) {
                throw new IndexOutOfBoundsException(op + ": target " + t[i] + " at position " + i
                        + " is outside [0, " + classes + ") and is not the ignore index " + ignoreIndex);
            }
            count++;
        }
        return count;
    }

    /**
     * Logits of at most this many bytes are computed at once by {@link #linearCrossEntropy} (and their gradient, in
     * training, takes as many again). Chunks of 8 MB (in L3) were slower than the whole: each chunk's three products
     * pack the [V, d] weight again (twice) and read and write its [V, d] gradient, and their k of a chunk's rows is
     * short. The GPT training benchmark's LM head (2,048 x 8,192 logits, 64 MB), per step, one thread: products
     * 132-137 -> 118-120 ms in one chunk instead of eight, cross-entropy unchanged (10.4-10.8 ms), step 387-393 ->
     * 375-378 ms. GPT-2's 50,257 words still go 326 rows at a time.
     */
    static final long LINEAR_CROSS_ENTROPY_CHUNK_BYTES = 64L << 20;

    /**
     * crossEntropy(x weight^T, targets), the mean over the targets not ignored, for x [..., d] and weight [V, d] (an
     * LM head, tied or not), without the [N, V] logits ever in memory whole: rows of x go through in chunks whose
     * logits fit in {@link #LINEAR_CROSS_ENTROPY_CHUNK_BYTES}; each chunk's loss is taken, and when a gradient will
     * be wanted, the chunk's logits' gradient is written beside them and multiplied into dx and dweight at once. The
     * backward pass then only scales those by the upstream gradient. For GPT
     * training at 2,048 tokens over 8,192 words that is 64 MB of logits and 64 MB of their gradient not written,
     * read back and written again by four separate passes; for GPT-2's 50,257 words at 8 x 1,024 tokens, 3.3 GB not
     * held.
     */
    static Tensor linearCrossEntropy(Tensor x, Tensor weight, Tensor targets, long ignoreIndex) {
        return linearCrossEntropy(x, weight, targets, ignoreIndex, LINEAR_CROSS_ENTROPY_CHUNK_BYTES);
    }

    /** {@link #linearCrossEntropy} with chunks of logits of at most {@code chunkBytes} (4 bytes a logit). */
    static Tensor linearCrossEntropy(Tensor x, Tensor weight, Tensor targets, long ignoreIndex, long chunkBytes) {
        Tensor.checkFloating("linearCrossEntropy", x);
        if (x.dim() < 1 || weight.dim() != 2 || x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("linearCrossEntropy: x " + Shapes.str(x.shapeRef())
                    + " does not chain with a weight " + Shapes.str(weight.shapeRef()) + " of [classes, "
                    + (x.dim() < 1 ? "d" : x.size(-1)) + "]");
        }
        Tensor.checkSameDevice("linearCrossEntropy", x, weight);
        if (weight.dtype() != x.dtype()) { // 16-bit weights under float32 activations: the plain path serves those
            return crossEntropy(x.matmul(weight.mT()), targets, ignoreIndex);
        }
        int classes = weight.size(0);
        int d = weight.size(1);
        int[] logitShape = x.shapeRef().clone();
        logitShape[logitShape.length - 1] = classes;
        long count = countTargets("linearCrossEntropy", logitShape, "logits", targets, classes, ignoreIndex);
        Tensor xf = x.reshape(-1, d).contiguous().detach();
        Tensor tf = targets.reshape(-1).contiguous();
        Tensor w = weight.detach();
        var on = xf.backend();
        int rows = xf.size(0);
        boolean wantX = GradMode.isEnabled() && x.requiresGrad();
        boolean wantW = GradMode.isEnabled() && weight.requiresGrad();
        double scale = 1.0 / count; // Infinity when all are ignored: NaN, as crossEntropy
        double gradScale = count == 0 ? 0 : scale;
        int chunk = (int) Math.max(1, Math.min(rows, chunkBytes / (4L * classes)));
        Tensor loss = Tensor.empty(on, x.dtype(), rows);
        Tensor lse = Tensor.empty(on, x.dtype(), rows);
        Tensor dx = wantX ? Tensor.empty(on, x.dtype(), rows, d) : null;
        // the first chunk's product writes dweight whole (no zeros to add to), unless there are no rows at all
        Tensor dw = !wantW ? null : rows == 0 ? Tensor.full(on, x.dtype(), 0, classes, d)
                : Tensor.empty(on, x.dtype(), classes, d);
        int chunkRows = Math.min(chunk, rows);
        Tensor logits = Tensor.empty(on, x.dtype(), chunkRows, classes);
        // the gradient in a buffer of its own, not over the logits: written in place, the cross-entropy's pass ran at
        // 21.9-22.6 ms instead of 14.8-15.9 in three JVMs of nine (GPT training, one thread, profiled; those profiles
        // put the time in the Vector API's bounds check of expRunWithNextMax's loads, as if that JIT compilation kept
        // it in the loop). With a buffer of its own: 14.6-16.6 ms in ten JVMs of ten.
        Tensor grads = wantX || wantW ? Tensor.empty(on, x.dtype(), chunkRows, classes) : null;
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            Tensor xc = xf.narrow(0, r0, n);
            Tensor tc = tf.narrow(0, r0, n);
            Tensor lc = logits.narrow(0, 0, n);
            on.matmul(xc, w.mT(), lc);
            if (!wantX && !wantW) {
                on.crossEntropy(lc, tc, ignoreIndex, loss.narrow(0, r0, n), lse.narrow(0, r0, n));
            } else {
                Tensor gc = grads.narrow(0, 0, n);
                on.crossEntropyWithGradient(lc, tc, ignoreIndex, gradScale, loss.narrow(0, r0, n), lse.narrow(0, r0, n),
                        gc);
                if (wantX) {
                    on.matmul(gc, w, dx.narrow(0, r0, n));
                }
                if (wantW && r0 == 0) {
                    on.matmul(gc.mT(), xc, dw);
                } else if (wantW) {
                    on.matmulAccumulate(gc.mT(), xc, dw);
                }
            }
        }
        Tensor out = loss.sum().mul(scale).detach();
        int[] xShape = x.shapeRef().clone();
        return Tensor.record(out, "linearCrossEntropy", g -> {
            // the upstream gradient of a loss is one number, most often 1: then dx and dweight are final as they are
            boolean one = g.device().equals(Device.CPU) && g.item() == 1.0;
            return new Tensor[] {
                dx == null ? null : (one ? dx : dx.mul(g)).reshape(xShape),
                dw == null ? null : (one ? dw : dw.mul(g))};
        }, x, weight);
    }

    static Tensor crossEntropy(Tensor logits, Tensor targets, long ignoreIndex) {
        Tensor.checkFloating("crossEntropy", logits);
        if (logits.dim() < 1) {
            throw new IllegalArgumentException("crossEntropy: logits must have a class dim, got a scalar");
        }
        int classes = logits.size(-1);
        long count = countTargets("crossEntropy", logits.shapeRef(), "logits", targets, classes, ignoreIndex);
        long counted = count;
        Tensor flat = logits.reshape(-1, classes).contiguous();
        Tensor tflat = targets.reshape(-1).contiguous();
        int rows = flat.size(0);
        Tensor loss = Tensor.empty(flat.backend(), flat.dtype(), rows);
        Tensor lse = Tensor.empty(flat.backend(), flat.dtype(), rows);
        flat.backend().crossEntropy(flat, tflat, ignoreIndex, loss, lse);
        double scale = 1.0 / counted; // Infinity when all are ignored: 0 * Inf -> NaN, as torch
        Tensor mean = loss.sum().mul(scale);
        Tensor out = mean.detach();
        int[] shape = logits.shapeRef();
        return Tensor.record(out, "crossEntropy", g -> {
            Tensor grad = Tensor.empty(flat.backend(), flat.dtype(), rows, classes);
            double s = counted == 0 ? 0 : scale;
            // The upstream gradient of a loss is one number: on the host it is folded into the kernel's scale (a
            // multiply by it is another pass over [N, C]: 67 MB for 2,048 tokens over 8,192 classes); on a GPU,
            // reading it back would stall the queue, so the GPU multiplies instead.
            if (g.device().equals(Device.CPU)) {
                flat.backend().crossEntropyBackward(flat, tflat, lse, ignoreIndex, s * g.item(), grad);
                return new Tensor[] {grad.reshape(shape)};
            }
            flat.backend().crossEntropyBackward(flat, tflat, lse, ignoreIndex, s, grad);
            return new Tensor[] {grad.mul(g).reshape(shape)};
        }, logits);
    }
}
