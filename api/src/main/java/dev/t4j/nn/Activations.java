package dev.t4j.nn;

import dev.t4j.backend.UnaryOp;

/** Hugging Face's activation names (config.json "hidden_act", "activation_function") as t4j's ops. */
public final class Activations {
    private Activations() {}

    /** gelu (erf form), gelu_new / gelu_pytorch_tanh (tanh form), relu; an error naming any other. */
    public static UnaryOp byName(String name) {
        return switch (name) {
            case "gelu" -> UnaryOp.GELU;
            case "gelu_new", "gelu_pytorch_tanh" -> UnaryOp.GELU_TANH;
            case "relu" -> UnaryOp.RELU;
            default -> throw new IllegalArgumentException("unsupported activation '" + name
                    + "' (gelu, gelu_new, gelu_pytorch_tanh and relu are)");
        };
    }
}
