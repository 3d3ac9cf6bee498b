package dev.t4j.optim;

import dev.t4j.tensor.Tensor;
import java.util.List;
import java.util.Map;

/** What the Trainer drives: an update from the current gradients, a learning rate, and state to checkpoint. */
public interface Optimizer {
    void step();

    void zeroGrad();

    void setLr(double lr);

    /** The state by name (parameter names given in the optimizer's parameter order), for checkpoints. */
    Map<String, Tensor> state(List<String> names);

    /** Restores {@link #state}, copied into the optimizer's own memory. */
    void loadState(Map<String, Tensor> state, List<String> names);
}
