package dev.t4j.optim;

import dev.t4j.memory.Scope;
import dev.t4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Restoring an optimizer's checkpointed state: each tensor checked against the shape the optimizer needs and
 * copied into the memory scope of the parameter it belongs to, so that it lives (and is freed) with the model.
 */
final class SavedState {
    private SavedState() {}

    static void checkNames(List<String> names, List<Tensor> params) {
        if (names.size() != params.size()) {
            throw new IllegalArgumentException(names.size() + " names for " + params.size() + " parameters");
        }
    }

    /** The saved step count; an error when the state has none. */
    static long step(Map<String, Tensor> saved) {
        Tensor step = saved.get("step");
        if (step == null) {
            throw new IllegalArgumentException("optimizer state has no 'step'");
        }
        return step.toLongArray()[0];
    }

    /**
     * A copy of saved[key] on the backend, in the element type and memory scope of {@code param}, or null when the
     * state has no such tensor.
     */
    static Tensor copy(Map<String, Tensor> saved, String key, Tensor param, int[] shape) {
        Tensor t = saved.get(key);
        if (t == null) {
            return null;
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("optimizer state '" + key + "' has shape " + Arrays.toString(t.shape())
                    + ", this optimizer needs " + Arrays.toString(shape));
        }
        return Scope.within(param.storage().owner(), () -> t.to(param.backend()).to(param.dtype()).copy());
    }
}
