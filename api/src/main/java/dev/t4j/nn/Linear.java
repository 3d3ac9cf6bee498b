package dev.t4j.nn;

import dev.t4j.backend.UnaryOp;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;

/**
 * y = x W + b with the weight kept in the checkpoint's own orientation: {@link Layout#OUT_IN} for torch's
 * nn.Linear ([out, in], y = x W^T), {@link Layout#IN_OUT} for GPT-2's Conv1D ([in, out]). The transpose is a
 * view, so neither layout costs a copy.
 */
public final class Linear extends Module {
    public enum Layout { OUT_IN, IN_OUT }

    private final Tensor weight;
    private final Tensor bias;
    private final Layout layout;
    public final int in;
    public final int out;

    public Linear(int in, int out, boolean bias, Layout layout, Generator gen, double std) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear sizes must be positive: in=" + in + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        this.layout = layout;
        Tensor w = layout == Layout.OUT_IN ? Init.normal(gen, std, out, in) : Init.normal(gen, std, in, out);
        if (layout == Layout.IN_OUT && WeightStorage.current() == DType.BF16) {
            // bfloat16 weights are for generation, where a step is one row times each weight matrix: stored
            // [out, in], each output's weights are one contiguous run (a dot product with x), which the CPU streams
            // at 31 GB/s, against 24 GB/s when widened rows of [in, out] are accumulated (BENCHMARKS.md, decode).
            // Converted here because parameter()'s conversion makes a contiguous copy; the parameter stays the
            // [in, out] view, so names, shapes, loading and saving are Conv1D's.
            w = w.mT().contiguous().to(DType.BF16).mT();
        }
        this.weight = parameter("weight", w);
        this.bias = bias ? parameter("bias", Tensor.zeros(out)) : null;
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /**
     * act(x W + b) with the bias, and when no gradient is recorded the activation (RELU, GELU, GELU_TANH) too,
     * applied as the product is written.
     */
    public Tensor forward(Tensor x, UnaryOp activation) {
        return Tensor.linear(x, layout == Layout.OUT_IN ? weight.mT() : weight, bias, activation);
    }
}
