package dev.t4j.nn;

import dev.t4j.backend.UnaryOp;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;

/**
 * A transformer's position-wise feed-forward block, fc_out(dropout(act(fc_in(x)))), or in its gated form (T5 v1.1,
 * Shazeer's GLU variants) fc_out(dropout(act(fc_gate(x)) * fc_in(x))); the activation by its Hugging Face name (relu,
 * gelu for the erf form, gelu_new for the tanh form). Linear layers in torch's [out, in] orientation, child names
 * configurable so a checkpoint's keys can be the module's own. The dropout here is the one between the two layers
 * (torch's TransformerEncoderLayer.dropout, T5's DenseReluDense.dropout); the residual branch's is the block's.
 *
 * <p>The three bundled families keep their own MLP classes, named as Hugging Face's (GPT-2's Conv1D {@code c_fc}),
 * this module is for new models and plugins, as {@link MultiHeadAttention}.
 */
public final class FeedForward extends Module {
    /**
     * @param activation relu, gelu (erf) or gelu_new (tanh), as a config.json's "hidden_act"
     * @param gated whether a second input layer gates the activation (gated-gelu: act(fc_gate x) * fc_in x)
     * @param bias whether the linear layers have biases (T5's have none)
     * @param dropout the probability of dropping a hidden unit while training
     */
    public record Options(String activation, boolean gated, boolean bias, double dropout, String in, String gate,
            String out) {
        public static Options defaults() {
            return new Options("gelu", false, true, 0, "fc_in", "fc_gate", "fc_out");
        }

        public Options withActivation(String a) {
            return new Options(a, gated, bias, dropout, in, gate, out);
        }

        public Options withGate(boolean g) {
            return new Options(activation, g, bias, dropout, in, gate, out);
        }

        public Options withBias(boolean b) {
            return new Options(activation, gated, b, dropout, in, gate, out);
        }

        public Options withDropout(double p) {
            return new Options(activation, gated, bias, p, in, gate, out);
        }

        public Options withNames(String i, String g, String o) {
            return new Options(activation, gated, bias, dropout, i, g, o);
        }
    }

    private final Linear in;
    private final Linear gate; // null unless gated
    private final Linear out;
    private final Dropout dropout;
    private final UnaryOp act;

    /** A block from {@code width} features through {@code inner} hidden units and back. */
    public FeedForward(int width, int inner, Options o, Generator gen) {
        if (width <= 0 || inner <= 0) {
            throw new IllegalArgumentException("feed-forward sizes must be positive: width " + width + ", inner "
                    + inner);
        }
        act = Activations.byName(o.activation());
        in = child(o.in(), new Linear(width, inner, o.bias(), Linear.Layout.OUT_IN, gen, 1 / Math.sqrt(width)));
        gate = o.gated() ? child(o.gate(), new Linear(width, inner, o.bias(), Linear.Layout.OUT_IN, gen,
                1 / Math.sqrt(width))) : null;
        out = child(o.out(), new Linear(inner, width, o.bias(), Linear.Layout.OUT_IN, gen, 1 / Math.sqrt(inner)));
        dropout = child("dropout", new Dropout(o.dropout(), gen)); // a child, so that eval() turns it off
    }

    /** x [..., width] to [..., width]. */
    public Tensor forward(Tensor x) {
        // the activation goes into the product that feeds it, where the backend fuses it (Tensor.linear)
        Tensor hidden = gate == null ? in.forward(x, act) : gate.forward(x, act).mul(in.forward(x));
        return out.forward(dropout.forward(hidden));
    }
}
