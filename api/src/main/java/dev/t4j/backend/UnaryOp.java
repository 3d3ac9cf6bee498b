package dev.t4j.backend;

/**
 * Elementwise functions of one tensor; some take a scalar parameter {@code alpha}. The *_DERIV entries are the
 * derivatives autograd needs, one kernel instead of a chain of temporaries.
 */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, RECIP, TANH, ERF, ABS, SIGN, SIGMOID, RELU, GELU, GELU_TANH, SIN, COS,
    /** alpha * x */
    SCALE,
    /** x + alpha */
    ADD_SCALAR,
    /** x ^ alpha */
    POW_SCALAR,
    /** 1 where x > 0, else 0 */
    RELU_DERIV,
    /** d/dx of x * Phi(x) */
    GELU_DERIV,
    /** d/dx of the tanh approximation of GELU */
    GELU_TANH_DERIV;

    /**
     * The kernel of this op's derivative, for the activations whose backward pass is one kernel of x
     * ({@link Backend#activationBackward}: RELU, GELU, GELU_TANH); null for every other op.
     */
    public UnaryOp derivative() {
        return switch (this) {
            case RELU -> RELU_DERIV;
            case GELU -> GELU_DERIV;
            case GELU_TANH -> GELU_TANH_DERIV;
            default -> null;
        };
    }
}
