package dev.t4j.nn;

import dev.t4j.autograd.GradMode;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node of a model: named parameters and named child modules, so that a parameter's dotted path
 * ({@code transformer.h.0.attn.c_attn.weight}) is its checkpoint key. A tensor registered under two names (tied
 * weights) is one parameter: it is listed once, under its first name, and its gradient sums both uses.
 */
public abstract class Module {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /**
     * Registers a parameter (it is made to require grad) and returns it; a matrix is stored in
     * {@link WeightStorage#current()}'s type.
     */
    protected Tensor parameter(String name, Tensor value) {
        checkName(name);
        Tensor p = value.isLeaf() ? value : value.detach();
        DType storage = WeightStorage.current();
        if (p.dtype() == DType.F32 && storage != DType.F32 && (p.dim() >= 2 || storage == DType.F64)) {
            p = p.detach().to(storage);
        }
        if (!p.requiresGrad()) {
            p.requiresGrad(true);
        }
        params.put(name, p);
        return p;
    }

    /** Registers a tensor under a second name, sharing it (weight tying). */
    protected Tensor tie(String name, Tensor existing) {
        checkName(name);
        params.put(name, existing);
        return existing;
    }

    protected <M extends Module> M child(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a parameter or child name must be non-empty and without dots: '"
                    + name + "'");
        }
        if (params.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is registered twice in " + getClass().getSimpleName());
        }
    }

    /** Every parameter by dotted name, each tensor once (the first name of a tied tensor). */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect("", out, seen, false);
        return out;
    }

    /** Every name a parameter is reachable by, tied duplicates included. */
    public Map<String, Tensor> allNamedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, Collections.newSetFromMap(new IdentityHashMap<>()), true);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, Set<Tensor> seen, boolean duplicates) {
        for (var e : params.entrySet()) {
            if (seen.add(e.getValue()) || duplicates) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (var e : children.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out, seen, duplicates);
        }
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Training mode (dropout on) or evaluation mode (off), for this module and all below it. */
    public Module train(boolean on) {
        training = on;
        for (Module c : children.values()) {
            c.train(on);
        }
        return this;
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /** Stops (or resumes) training this subtree's parameters, e.g. to fine-tune only a head. */
    public void setFrozen(boolean frozen) {
        for (Tensor p : parameters()) {
            p.requiresGrad(!frozen);
        }
    }

    public void zeroGrad() {
        for (Tensor p : parameters()) {
            p.zeroGrad();
        }
    }

    /** What {@link #load} did: names it filled, names the source lacked, names the model lacked. */
    public record LoadReport(List<String> loaded, List<String> missing, List<String> unexpected) {}

    /**
     * Copies tensors into the parameters with the same dotted names, converting the element type. A shape
     * mismatch is an error naming the parameter and both shapes; when {@code strict}, so is any parameter the
     * source lacks (after {@code aliases}: tied names) and any source tensor the model lacks.
     */
    public LoadReport load(Map<String, Tensor> source, boolean strict) {
        List<String> loaded = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Set<Tensor> filled = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, Tensor> all = allNamedParameters();
        try (var g = GradMode.noGrad()) {
            for (var e : all.entrySet()) {
                Tensor src = source.get(e.getKey());
                Tensor p = e.getValue();
                if (src == null) {
                    continue;
                }
                if (!Arrays.equals(src.shape(), p.shape())) {
                    throw new IllegalArgumentException("parameter '" + e.getKey() + "' has shape "
                            + Arrays.toString(p.shape()) + " but the checkpoint's tensor has shape "
                            + Arrays.toString(src.shape()));
                }
                p.copy_(src);
                filled.add(p);
                loaded.add(e.getKey());
            }
        }
        for (var e : namedParameters().entrySet()) {
            if (!filled.contains(e.getValue())) {
                missing.add(e.getKey());
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : source.keySet()) {
            if (!all.containsKey(name)) {
                unexpected.add(name);
            }
        }
        if (strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            throw new IllegalArgumentException("checkpoint does not match the model: missing " + missing
                    + ", unexpected " + unexpected);
        }
        return new LoadReport(loaded, missing, unexpected);
    }
}
