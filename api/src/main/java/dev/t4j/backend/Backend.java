package dev.t4j.backend;

import dev.t4j.memory.Storage;
import dev.t4j.tensor.Device;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * What a runtime implements: memory, and a small set of kernels. Backends never see autograd; gradients are
 * formulas over these kernels, written once in {@code api}.
 *
 * <p>Conventions every kernel follows:
 * <ul>
 *   <li>Tensors arrive as (storage, shape, strides in elements, offset); inputs may be any view, including
 *       broadcast views with stride 0. Outputs are freshly allocated and contiguous unless a method says
 *       otherwise; an output may alias an input only where the method says so.</li>
 *   <li>All inputs have already been checked by the frontend: shapes agree, indices are in range.</li>
 *   <li>Floating-point kernels must accept every floating {@link dev.t4j.tensor.DType}; a backend may serve
 *       the uncommon ones (F64, F16, BF16 compute) by a slow path.</li>
 * </ul>
 */
public interface Backend {
    String name();

    Device device();

    /** Uninitialised memory for {@code bytes} bytes, owned by the current scope. */
    Storage allocate(long bytes);

    /** Copies host bytes into a contiguous tensor ({@code dst.numel() * dtype size} bytes). */
    void upload(MemorySegment host, Tensor dst);

    /** Copies a contiguous tensor's bytes to the host. */
    void download(Tensor src, MemorySegment host);

    /** dst = src elementwise, converting types; same shape, any strides; dst may be a view of a larger tensor. */
    void copy(Tensor src, Tensor dst);

    /** Sets every element of {@code dst} (any view) to {@code value}. */
    void fill(Tensor dst, double value);

    /** out = op(x), same shape; out may be x itself (in place). */
    void unary(UnaryOp op, double alpha, Tensor x, Tensor out);

    /** out = a op b; a and b are already broadcast to out's shape; out may alias a (in place). */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** out = cond != 0 ? a : b, all broadcast to out's shape. */
    void where(Tensor cond, Tensor a, Tensor b, Tensor out);

    /** Reduces {@code axis} of x into out, which has x's shape with size 1 at {@code axis}. */
    void reduce(ReduceOp op, Tensor x, int axis, Tensor out);

    /**
     * out[..., m, n] = sum_k a[..., m, k] * b[..., k, n]. a, b and out have the same rank >= 2 and the same
     * batch dims (a and b possibly broadcast by stride 0); a and b may be transposed views. out is contiguous.
     */
    void matmul(Tensor a, Tensor b, Tensor out);

    /**
     * out[m, n] += a[m, k] b[k, n] (BLAS's beta = 1), 2-D, a and b possibly transposed views, out contiguous: a
     * gradient summed over chunks without a temporary of out's size. The default is matmul into one, then an add.
     */
    default void matmulAccumulate(Tensor a, Tensor b, Tensor out) {
        Tensor product = Tensor.empty(this, out.dtype(), out.shape());
        matmul(a, b, product);
        binary(BinaryOp.ADD, out, product, out);
    }

    /** out = src indexed along {@code dim} by the int32/int64 vector {@code index}. */
    void indexSelect(Tensor src, int dim, Tensor index, Tensor out);

    /** dst[.., index[i], ..] += src[.., i, ..] along {@code dim}; dst is contiguous and updated in place. */
    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /** out[i][j][k] = src[i][index[i][j][k]][k] (for dim 1); index has out's shape. */
    void gather(Tensor src, int dim, Tensor index, Tensor out);

    /** dst[i][index[i][j][k]][k] += src[i][j][k] (for dim 1); dst is contiguous and updated in place. */
    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /** Softmax (or log-softmax) over the last axis of a contiguous x. */
    void softmax(Tensor x, Tensor out, boolean log);

    /**
     * Layer normalisation over the last axis of a contiguous x: out = (x - mean) * rstd * weight + bias, also
     * writing mean and rstd (one per row) for the backward pass. weight and bias may be null.
     */
    void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd);

    /**
     * Gradients of {@link #layerNorm} for the upstream gradient g (contiguous, x's shape): dx (contiguous, x's shape)
     * and, where not null, dweight and dbias [C], overwritten. x, weight, mean and rstd are layerNorm's; weight may be
     * null. This default composes tensor ops (about twelve passes over x); a runtime may do it in two.
     */
    default void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor g, Tensor dx,
            Tensor dweight, Tensor dbias) {
        try (var ng = dev.t4j.autograd.GradMode.noGrad()) {
            int c = x.shape()[x.dim() - 1];
            Tensor r = rstd.unsqueeze(-1);
            Tensor xhat = x.sub(mean.unsqueeze(-1)).mul(r);
            Tensor gw = weight == null ? g : g.mul(weight);
            dx.copy_(gw.sub(gw.mean(-1, true)).sub(xhat.mul(gw.mul(xhat).mean(-1, true))).mul(r));
            if (dweight != null) {
                dweight.copy_(g.mul(xhat).reshape(-1, c).sum(0, false));
            }
            if (dbias != null) {
                dbias.copy_(g.reshape(-1, c).sum(0, false));
            }
        }
    }

    /**
     * {@link #layerNormBackward} with a gradient x already has added in (null: none): dx = addend + the norm's gradient
     * (addend of x's shape), the sum autograd would take next. On a residual stream that sum was a pass of its own,
     * reading two gradients and writing a third; a runtime may add it as it writes dx. This default adds after.
     */
    default void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor g, Tensor dx,
            Tensor dweight, Tensor dbias, Tensor addend) {
        layerNormBackward(x, weight, mean, rstd, g, dx, dweight, dbias);
        if (addend != null) {
            binary(BinaryOp.ADD, addend, dx, dx);
        }
    }

    /** RMS normalisation (T5): out = x * rstd * weight with rstd = 1/sqrt(mean(x^2) + eps); writes rstd. */
    void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out, Tensor rstd);

    /**
     * Gradients of {@link #rmsNorm} for the upstream gradient g (contiguous, x's shape): dx (contiguous) and, where not
     * null, dweight [C], overwritten. This default composes tensor ops; a runtime may do it in two passes.
     */
    default void rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor g, Tensor dx, Tensor dweight) {
        try (var ng = dev.t4j.autograd.GradMode.noGrad()) {
            int c = x.shape()[x.dim() - 1];
            Tensor r = rstd.unsqueeze(-1);
            Tensor xhat = x.mul(r);
            Tensor gw = weight == null ? g : g.mul(weight);
            dx.copy_(gw.sub(xhat.mul(gw.mul(xhat).mean(-1, true))).mul(r));
            if (dweight != null) {
                dweight.copy_(g.mul(xhat).reshape(-1, c).sum(0, false));
            }
        }
    }

    /** {@link #rmsNormBackward} with a gradient x already has (null: none) added into dx, as layer norm's. */
    default void rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor g, Tensor dx, Tensor dweight,
            Tensor addend) {
        rmsNormBackward(x, weight, rstd, g, dx, dweight);
        if (addend != null) {
            binary(BinaryOp.ADD, addend, dx, dx);
        }
    }

    /**
     * Per-row cross-entropy of contiguous logits [N, C] against int targets [N]; rows whose target equals
     * {@code ignoreIndex} get loss 0. Writes loss [N] and the row log-sum-exp [N] for the backward pass.
     */
    void crossEntropy(Tensor logits, Tensor targets, long ignoreIndex, Tensor loss, Tensor logSumExp);

    /**
     * grad [N, C] = (softmax(logits) - onehot(target)) * scale for rows whose target is not ignored, else 0. grad may
     * be logits itself (each element is read before it is written).
     */
    void crossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, long ignoreIndex, double scale,
            Tensor grad);

    /**
     * {@link #crossEntropy} and {@link #crossEntropyBackward} in one call, for a caller that wants the gradient at once
     * (the chunks of dev.t4j.tensor.Tensor#linearCrossEntropy). grad may be logits itself. This default runs the two;
     * a runtime may compute each exponential once instead of twice.
     */
    default void crossEntropyWithGradient(Tensor logits, Tensor targets, long ignoreIndex, double scale, Tensor loss,
            Tensor logSumExp, Tensor grad) {
        crossEntropy(logits, targets, ignoreIndex, loss, logSumExp);
        crossEntropyBackward(logits, targets, logSumExp, ignoreIndex, scale, grad);
    }

    /**
     * A linear layer in one call: out [M, N] = act(x [M, K] @ w [K, N] + bias [N]), bias and act optional (act one
     * of RELU, GELU, GELU_TANH), w of any strides and float32 or bfloat16. This default composes the ops; a runtime
     * may add the bias and apply the activation as the product's values are written.
     */
    default void linear(Tensor x, Tensor w, Tensor bias, UnaryOp act, Tensor out) {
        try (var g = dev.t4j.autograd.GradMode.noGrad()) {
            Tensor y = x.matmul(w);
            if (bias != null) {
                y = y.add(bias);
            }
            out.copy_(act == null ? y : y.activation(act));
        }
    }

    /**
     * A linear layer that keeps its activation's input, as its backward pass needs it: out [M, N] = x @ w + bias and
     * activated [M, N] = act(out), act one of RELU, GELU, GELU_TANH, both outputs contiguous. This default writes out,
     * then takes the activation in a pass of its own; a runtime may take it as the product's values are written.
     */
    default void linear(Tensor x, Tensor w, Tensor bias, UnaryOp act, Tensor out, Tensor activated) {
        linear(x, w, bias, null, out);
        unary(act, 0, out, activated);
    }

    /**
     * A linear layer's weight and bias gradients at once, for y = x w + b with w [K, N]: dw [K, N] = x^T g and db [N]
     * = g summed over its rows, from x [M, K] and g [M, N] (both any strides; dw and db contiguous). This default
     * multiplies and sums; a runtime may take the sums as it reads g for the product.
     */
    default void linearParamGradients(Tensor x, Tensor g, Tensor dw, Tensor db) {
        matmul(x.mT(), g, dw);
        reduce(ReduceOp.SUM, g, 0, db.unsqueeze(0));
    }

    /**
     * Attention without the [Tq, Tk] probabilities in memory: out = dropout(softmax(q k^T * scale + bias)) v for q
     * [B, H, Tq, D], k and v [B, H, Tk, D], bias null or a view broadcast to [B, H, Tq, Tk], dropout null or the
     * {@link DropoutMask} mask's parameters; lse [B, H, Tq] receives each row's log-sum-exp of the scores (before
     * dropout) for {@link #attentionBackward}. lse is contiguous, out too unless {@link #attentionTakesStridedRows}.
     * This default composes the materialising ops (it is the reference); a runtime overrides it with a kernel that
     * streams over the keys.
     */
    default void attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse) {
        try (var g = dev.t4j.autograd.GradMode.noGrad()) {
            Tensor s = q.matmul(k.mT()).mul(scale);
            if (bias != null) {
                s = s.add(bias);
            }
            Tensor max = s.max(-1, true);
            Tensor e = s.sub(max).exp();
            Tensor sum = e.sum(-1, true);
            // normalised by the sum, not as exp(s - lse): in a row whose every key is masked with a finite -3.4e38,
            // lse = max + log(sum) rounds back to max, and exp(s - lse) would sum the values instead of averaging them
            Tensor p = e.div(sum);
            if (dropout != null) {
                p = p.dropout(dropout);
            }
            out.copy_(p.matmul(v));
            lse.copy_(sum.log().add(max).squeeze(-1));
        }
    }

    /**
     * out = g * act'(x), the backward pass of an activation {@code act} (RELU, GELU or GELU_TANH); x, g and out have
     * one shape. This default runs the derivative kernel, then a multiply; a runtime does both in one pass.
     */
    default void activationBackward(UnaryOp act, Tensor x, Tensor g, Tensor out) {
        UnaryOp derivative = act.derivative();
        if (derivative == null) {
            throw new IllegalArgumentException(act + " is not an activation (RELU, GELU, GELU_TANH)");
        }
        Tensor d = Tensor.empty(this, x.dtype(), x.shape());
        unary(derivative, 0, x, d);
        binary(BinaryOp.MUL, g, d, out);
    }

    /**
     * out = x times the factors of {@code mask} (0 or 1 / (1 - p)), x seen as rows of its last dim; x and out
     * contiguous, same shape, out may be x. This default multiplies by the mask drawn on the host; a runtime draws it
     * in the kernel. Being linear, it is also its own backward pass.
     */
    default void dropout(Tensor x, DropoutMask mask, Tensor out) {
        try (var g = dev.t4j.autograd.GradMode.noGrad()) {
            out.copy_(x.mul(mask.tensor(this, x.shape()).to(x.dtype())));
        }
    }

    /**
     * Whether {@link #attention} and {@link #attentionBackward} take out, gradOut, gq, gk and gv as views whose rows
     * (the last dim) are contiguous, as [B, T, H, D] memory seen as [B, H, T, D]: the frontend then allocates them
     * so, and the split of a [B, T, H * D] projection into heads and the merge back cost no copies either way. False:
     * they get contiguous tensors.
     */
    default boolean attentionTakesStridedRows() {
        return false;
    }

    /**
     * Whether {@link #attention} is the faster path for {@code queries} x {@code keys} scores per head, where either
     * path is possible (see dev.t4j.nn.Attention). The default is the CPU runtime's measured crossover: up to 512 keys
     * (one k block of its GEMM, packed once per head and run twelve queries at a time) fused is the faster path from
     * 16 queries (128 tokens: GPT training steps 2-4 %, BERT inference 4-7 %); above 512 keys, from 64 queries (the
     * crossover measured when those went through tiles of 128 queries; the packed kernels now take them too, and the
     * lower bound there is not re-measured). Below that, a decoding step's single query is a matrix-vector product,
     * which the materialising path has.
     */
    default boolean fusedAttentionFaster(int queries, int keys) {
        return keys <= 512 ? queries >= 16 : queries >= 64;
    }

    /**
     * Above this many bytes of [B, H, Tq, Tk] scores attention runs fused whatever its speed: the memory the
     * materialising path would hold (scores and probabilities, kept for the backward pass of every layer).
     */
    default long fuseAttentionAboveBytes() {
        return 64L << 20;
    }

    /**
     * Floats per query that {@link #attention(Tensor, Tensor, Tensor, Tensor, double, DropoutMask, Tensor, Tensor,
     * Tensor) attention with a saved tensor} keeps there for its backward pass, for tk keys and heads of d values; 0
     * (the default) when it keeps nothing and the backward pass recomputes the probabilities. A runtime may trade
     * [B, H, Tq, this] floats of memory for that recomputation where sequences are short.
     */
    default int attentionSavedPerQuery(int tk, int d) {
        return 0;
    }

    /**
     * {@link #attention(Tensor, Tensor, Tensor, Tensor, double, DropoutMask, Tensor, Tensor)}, keeping in saved (a
     * contiguous float32 [B, H, Tq, {@link #attentionSavedPerQuery}] tensor, or null) what the runtime's backward pass
     * takes instead of recomputing it; what it holds is the runtime's own. This default keeps nothing.
     */
    default void attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse, Tensor saved) {
        attention(q, k, v, bias, scale, dropout, out, lse);
    }

    /** {@link #attentionBackward} given what the forward pass kept in saved (null: nothing). */
    default void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse, Tensor saved, Tensor gradOut, Tensor gq, Tensor gk, Tensor gv, Tensor gBias) {
        attentionBackward(q, k, v, bias, scale, dropout, out, lse, gradOut, gq, gk, gv, gBias);
    }

    /**
     * Gradients of {@link #attention} for the upstream gradient gradOut [B, H, Tq, D]: the probabilities (and the
     * dropout mask, from its seed) are recomputed, then gq, gk, gv (q's, k's and v's shapes; contiguous, as gradOut,
     * unless {@link #attentionTakesStridedRows}) are written, and, unless null, gBias (contiguous [B, H, Tq, Tk]):
     * the scores' gradient, which is the bias's before its broadcast dims are summed (T5's learned position bias
     * while training).
     */
    default void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse, Tensor gradOut, Tensor gq, Tensor gk, Tensor gv, Tensor gBias) {
        try (var g = dev.t4j.autograd.GradMode.noGrad()) {
            Tensor s = q.matmul(k.mT()).mul(scale);
            if (bias != null) {
                s = s.add(bias);
            }
            // normalised by the sum as the forward pass was, not as exp(s - lse), for the same rows
            Tensor e = s.sub(s.max(-1, true)).exp();
            Tensor p = e.div(e.sum(-1, true));
            Tensor dropped = dropout == null ? p : p.dropout(dropout);
            gv.copy_(dropped.mT().matmul(gradOut));
            Tensor dDropped = gradOut.matmul(v.mT());
            Tensor dp = dropout == null ? dDropped : dDropped.dropout(dropout); // the mask is linear: its own gradient
            // rowsum(dP * P) = rowsum(dO * O) with or without the mask: O = (P * mask) V
            Tensor gs = p.mul(dp.sub(gradOut.mul(out).sum(-1, true))); // d loss / d (q k^T * scale + bias)
            if (gBias != null) {
                gBias.copy_(gs);
            }
            Tensor ds = gs.mul(scale);
            gq.copy_(ds.matmul(k));
            gk.copy_(ds.mT().matmul(q));
        }
    }

    /**
     * One AdamW update of parameter p in place, as torch.optim.AdamW: p *= 1 - lr * decay; m = beta1 m + (1 - beta1)
     * g; v = beta2 v + (1 - beta2) g^2; p -= lr / bc1 * m / (sqrt(v / bc2) + eps), with bc1, bc2 the bias
     * corrections. m and v are updated in place. This default composes tensor ops (nine passes over the parameter);
     * a runtime may do it in one.
     */
    default void adamw(Tensor p, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
            double decay, double bc1, double bc2) {
        try (var g = dev.t4j.autograd.GradMode.noGrad()) {
            m.mul_(beta1).add_(grad, 1 - beta1);
            v.mul_(beta2).add_(grad.mul(grad), 1 - beta2);
            if (decay > 0) {
                p.mul_(1 - lr * decay);
            }
            Tensor denom = v.mul(1 / bc2).sqrt().add(eps);
            p.add_(m.div(denom), -lr / bc1);
        }
    }

    /** Blocks until queued work is done (a no-op for synchronous backends). */
    default void synchronize() {}

    /** Threads this backend computes with (1 for devices that do not use host threads). */
    default int threads() {
        return 1;
    }
}
