package dev.t4j.optim;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum, as torch.optim.SGD: weight decay added to the gradient, the momentum
 * buffer starting as the first gradient, optional dampening and Nesterov momentum.
 */
public final class Sgd implements Optimizer {
    private final List<Tensor> params;
    private final List<Tensor> buffers = new ArrayList<>();
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private double lr;

    public Sgd(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        if (lr < 0 || momentum < 0 || weightDecay < 0 || (nesterov && (momentum <= 0 || dampening != 0))) {
            throw new IllegalArgumentException("SGD: need lr, momentum, weight decay >= 0, and Nesterov only with momentum "
                    + "> 0 and no dampening; got lr=" + lr + " momentum=" + momentum + " dampening=" + dampening);
        }
        this.params = List.copyOf(params);
        this.lr = lr;
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        params.forEach(p -> buffers.add(null));
    }

    @Override
    public void step() {
        try (var g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (p.grad() == null) {
                    continue;
                }
                Tensor d = weightDecay == 0 ? p.grad() : p.grad().add(p.mul(weightDecay));
                if (momentum != 0) {
                    Tensor buf = buffers.get(i);
                    if (buf == null) {
                        Tensor first = d;
                        buf = Scope.within(p.storage().owner(), first::copy);
                        buffers.set(i, buf);
                    } else {
                        buf.mul_(momentum).add_(d, 1 - dampening);
                    }
                    d = nesterov ? d.add(buf.mul(momentum)) : buf;
                }
                p.add_(d, -lr);
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
        for (int i = 0; i < params.size(); i++) {
            if (buffers.get(i) != null) {
                out.put(names.get(i) + ".momentum_buffer", buffers.get(i));
            }
        }
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> state, List<String> names) {
        SavedState.checkNames(names, params);
        try (var g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                buffers.set(i, SavedState.copy(state, names.get(i) + ".momentum_buffer", p, p.shape()));
            }
        }
    }
}
