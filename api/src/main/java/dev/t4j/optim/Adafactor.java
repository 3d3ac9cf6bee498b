package dev.t4j.optim;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Adafactor (Shazeer and Stern 2018), T5's optimizer, with Hugging Face's defaults and arithmetic: second moments
 * of matrices kept factored as row and column means (memory O(n + m) instead of O(nm)), decay 1 - t^-0.8, updates
 * clipped to RMS 1, and, when {@code relativeStep}, a step size min(1e-2, 1/sqrt(t)) scaled by the parameter's RMS.
 * No first moment unless {@code beta1} is given.
 */
public final class Adafactor implements Optimizer {
    private final List<Tensor> params;
    private final List<Tensor[]> state = new ArrayList<>(); // {row, col} or {full}, then {exp_avg} when beta1
    private final double eps1 = 1e-30;
    private final double eps2 = 1e-3;
    private final double clipThreshold = 1.0;
    private final double decayRate = -0.8;
    private final Double beta1;
    private final double weightDecay;
    private final boolean scaleParameter;
    private final boolean relativeStep;
    private double lr;
    private long step;

    /** {@code lr} is ignored when {@code relativeStep} (HF: lr=None, relative_step=True). */
    public Adafactor(List<Tensor> params, double lr, boolean relativeStep, boolean scaleParameter, Double beta1,
            double weightDecay) {
        if (!relativeStep && !(lr > 0)) {
            throw new IllegalArgumentException("Adafactor needs lr > 0 when relativeStep is off, got " + lr);
        }
        this.params = List.copyOf(params);
        this.lr = lr;
        this.relativeStep = relativeStep;
        this.scaleParameter = scaleParameter;
        this.beta1 = beta1;
        this.weightDecay = weightDecay;
        params.forEach(p -> state.add(null));
    }

    private static double rms(Tensor t) {
        return Math.sqrt(t.mul(t).mean().item());
    }

    @Override
    public void step() {
        step++;
        double beta2t = 1 - Math.pow(step, decayRate);
        try (var g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor grad = p.grad();
                if (grad == null) {
                    continue;
                }
                double rel = relativeStep ? Math.min(1e-2, 1 / Math.sqrt(step)) : lr;
                double stepSize = scaleParameter ? Math.max(eps2, rms(p)) * rel : rel;
                boolean factored = p.dim() >= 2;
                Tensor[] s = state.get(i);
                Scope owner = p.storage().owner();
                if (s == null) {
                    s = new Tensor[3];
                    if (factored) {
                        Tensor row = grad.mean(-1, false);
                        Tensor col = grad.mean(-2, false);
                        s[0] = Scope.within(owner, row::zerosLike);
                        s[1] = Scope.within(owner, col::zerosLike);
                    } else {
                        s[0] = Scope.within(owner, p::zerosLike);
                    }
                    if (beta1 != null) {
                        s[2] = Scope.within(owner, p::zerosLike);
                    }
                    state.set(i, s);
                }
                Tensor update = grad.mul(grad).add(eps1);
                if (factored) {
                    s[0].mul_(beta2t).add_(update.mean(-1, false), 1 - beta2t);
                    s[1].mul_(beta2t).add_(update.mean(-2, false), 1 - beta2t);
                    Tensor rowFactor = s[0].div(s[0].mean(-1, true)).rsqrt().unsqueeze(-1);
                    Tensor colFactor = s[1].unsqueeze(-2).rsqrt();
                    update = rowFactor.mul(colFactor).mul(grad);
                } else {
                    s[0].mul_(beta2t).add_(update, 1 - beta2t);
                    update = s[0].rsqrt().mul(grad);
                }
                update = update.div(Math.max(1, rms(update) / clipThreshold)).mul(stepSize);
                if (beta1 != null) {
                    s[2].mul_(beta1).add_(update, 1 - beta1);
                    update = s[2];
                }
                if (weightDecay != 0) {
                    p.mul_(1 - weightDecay * stepSize);
                }
                p.add_(update, -1);
            }
        }
    }

    @Override
    public void zeroGrad() {
        params.forEach(Tensor::zeroGrad);
    }

    @Override
    public void setLr(double lr) {
        this.lr = lr;
    }

    @Override
    public Map<String, Tensor> state(List<String> names) {
        SavedState.checkNames(names, params);
        Map<String, Tensor> out = new LinkedHashMap<>();
        String[] keys = {"exp_avg_sq_row", "exp_avg_sq_col", "exp_avg"};
        for (int i = 0; i < params.size(); i++) {
            Tensor[] s = state.get(i);
            if (s == null) {
                continue;
            }
            boolean factored = params.get(i).dim() >= 2;
            for (int k = 0; k < 3; k++) {
                if (s[k] != null) {
                    out.put(names.get(i) + "." + (!factored && k == 0 ? "exp_avg_sq" : keys[k]), s[k]);
                }
            }
        }
        out.put("step", Tensor.of(new long[] {step}, 1));
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> saved, List<String> names) {
        SavedState.checkNames(names, params);
        step = SavedState.step(saved);
        try (var g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                int[] shape = p.shape();
                boolean factored = p.dim() >= 2;
                String name = names.get(i) + ".";
                Tensor[] s = new Tensor[3];
                if (factored) { // the second moment kept as its row and column means
                    s[0] = SavedState.copy(saved, name + "exp_avg_sq_row", p, Arrays.copyOf(shape, shape.length - 1));
                    int[] col = Arrays.copyOf(shape, shape.length - 1);
                    col[col.length - 1] = shape[shape.length - 1];
                    s[1] = SavedState.copy(saved, name + "exp_avg_sq_col", p, col);
                } else {
                    s[0] = SavedState.copy(saved, name + "exp_avg_sq", p, shape);
                }
                s[2] = SavedState.copy(saved, name + "exp_avg", p, shape);
                boolean any = s[0] != null || s[1] != null || s[2] != null;
                state.set(i, any ? s : null);
            }
        }
    }
}
