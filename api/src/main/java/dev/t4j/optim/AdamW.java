package dev.t4j.optim;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as torch.optim.AdamW: bias-corrected moments, and
 * the decay applied to the weights directly, only to the parameters given as decayed (matrices; not biases and
 * norm gains, by the usual convention). Moments live in the scope of their parameter.
 */
public final class AdamW implements Optimizer {
    private final List<Tensor> params = new ArrayList<>();
    private final List<Boolean> decayed = new ArrayList<>();
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private double lr;
    private long step;

    public AdamW(List<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
        if (lr < 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps <= 0 || weightDecay < 0) {
            throw new IllegalArgumentException("AdamW: need lr >= 0, 0 <= beta < 1, eps > 0, weight decay >= 0; got lr="
                    + lr + " betas=(" + beta1 + ", " + beta2 + ") eps=" + eps + " weightDecay=" + weightDecay);
        }
        for (Tensor p : parameters) {
            if (!p.requiresGrad()) {
                throw new IllegalArgumentException("AdamW given a tensor that does not require grad: " + p);
            }
            params.add(p);
            decayed.add(p.dim() >= 2);
            m.add(null);
            v.add(null);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** torch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Tensor> parameters, double lr) {
        this(parameters, lr, 0.9, 0.999, 1e-8, 0.01);
    }

    @Override
    public void setLr(double lr) {
        this.lr = lr;
    }

    public double lr() {
        return lr;
    }

    public long stepCount() {
        return step;
    }

    /** One update from the current gradients; parameters without a gradient are left alone. */
    @Override
    public void step() {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        try (var g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor grad = p.grad();
                if (grad == null) {
                    continue;
                }
                if (m.get(i) == null) {
                    Scope owner = p.storage().owner();
                    m.set(i, Scope.within(owner, p::zerosLike));
                    v.set(i, Scope.within(owner, p::zerosLike));
                }
                p.backend().adamw(p, grad, m.get(i), v.get(i), lr, beta1, beta2, eps, decayed.get(i) ? weightDecay : 0,
                        bc1, bc2);
            }
        }
    }

    /**
     * The moments of every parameter that has them, keyed "NAME.exp_avg" / "NAME.exp_avg_sq" by the parameter
     * order given (names come from the caller, as the optimizer knows only tensors), plus the step count.
     */
    @Override
    public java.util.Map<String, Tensor> state(List<String> names) {
        SavedState.checkNames(names, params);
        java.util.Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (m.get(i) != null) {
                out.put(names.get(i) + ".exp_avg", m.get(i));
                out.put(names.get(i) + ".exp_avg_sq", v.get(i));
            }
        }
        out.put("step", Tensor.of(new long[] {step}, 1));
        return out;
    }

    /** Restores what {@link #state} saved (copied into this optimizer's own memory). */
    @Override
    public void loadState(java.util.Map<String, Tensor> state, List<String> names) {
        SavedState.checkNames(names, params);
        step = SavedState.step(state);
        try (var g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor mi = SavedState.copy(state, names.get(i) + ".exp_avg", p, p.shape());
                Tensor vi = SavedState.copy(state, names.get(i) + ".exp_avg_sq", p, p.shape());
                m.set(i, mi == null || vi == null ? null : mi);
                v.set(i, mi == null || vi == null ? null : vi);
            }
        }
    }

    @Override
    public void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }
}
