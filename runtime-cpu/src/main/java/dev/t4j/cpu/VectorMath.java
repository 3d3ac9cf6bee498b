package dev.t4j.cpu;

import dev.t4j.backend.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The elementwise functions on float vectors. exp, log, tanh, sin and cos are the JDK's SVML intrinsics. */
final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float INV_SQRT_2 = (float) (1 / Math.sqrt(2));
    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
    private static final float GELU_C = 0.044715f;

    static final java.lang.foreign.ValueLayout.OfFloat F = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

    private VectorMath() {}

    static FloatVector sign(FloatVector x) {
        return x.broadcast(0f).blend(x.broadcast(1f), x.compare(VectorOperators.GT, 0f))
                .blend(x.broadcast(-1f), x.compare(VectorOperators.LT, 0f));
    }

    static FloatVector sigmoid(FloatVector x) {
        return x.broadcast(1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    static FloatVector gelu(FloatVector x) {
        return x.mul(0.5f).mul(erf(x.mul(INV_SQRT_2)).add(1f));
    }

    static FloatVector geluTanh(FloatVector x) {
        return x.mul(0.5f).mul(geluTanhInner(x).lanewise(VectorOperators.TANH).add(1f));
    }

    static FloatVector reluDeriv(FloatVector x) {
        return x.broadcast(0f).blend(x.broadcast(1f), x.compare(VectorOperators.GT, 0f));
    }

    static FloatVector geluDeriv(FloatVector x) {
        return erf(x.mul(INV_SQRT_2)).add(1f).mul(0.5f)
                .add(x.mul(x.mul(x).mul(-0.5f).lanewise(VectorOperators.EXP)).mul(INV_SQRT_2PI));
    }

    static FloatVector geluTanhDeriv(FloatVector x) {
        FloatVector t = geluTanhInner(x).lanewise(VectorOperators.TANH);
        FloatVector dInner = x.mul(x).mul(3 * GELU_C).add(1f).mul(SQRT_2_OVER_PI);
        return t.add(1f).mul(0.5f).add(x.mul(0.5f).mul(t.mul(t).neg().add(1f)).mul(dInner));
    }

    static float scalar(dev.t4j.backend.BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> (float) Math.pow(a, b);
            default -> throw new IllegalStateException(op + " is a comparison");
        };
    }

    /** One vector through any unary op: the scalar fallback of strided runs (contiguous runs use ElementwiseRuns). */
    static FloatVector apply(UnaryOp op, float alpha, FloatVector x) {
        return switch (op) {
            case NEG -> x.neg();
            case EXP -> x.lanewise(VectorOperators.EXP);
            case LOG -> x.lanewise(VectorOperators.LOG);
            case SQRT -> x.sqrt();
            case RSQRT -> x.broadcast(1f).div(x.sqrt());
            case RECIP -> x.broadcast(1f).div(x);
            case TANH -> x.lanewise(VectorOperators.TANH);
            case ERF -> erf(x);
            case ABS -> x.abs();
            case SIGN -> sign(x);
            case SIGMOID -> sigmoid(x);
            case RELU -> x.max(0f);
            case GELU -> gelu(x);
            case GELU_TANH -> geluTanh(x);
            case SIN -> x.lanewise(VectorOperators.SIN);
            case COS -> x.lanewise(VectorOperators.COS);
            case SCALE -> x.mul(alpha);
            case ADD_SCALAR -> x.add(alpha);
            case POW_SCALAR -> pow(x, alpha);
            case RELU_DERIV -> reluDeriv(x);
            case GELU_DERIV -> geluDeriv(x);
            case GELU_TANH_DERIV -> geluTanhDeriv(x);
        };
    }

    static FloatVector pow(FloatVector x, float alpha) {
        if (alpha == 2f) {
            return x.mul(x);
        }
        if (alpha == 1f) {
            return x;
        }
        if (alpha == 0.5f) {
            return x.sqrt();
        }
        return x.lanewise(VectorOperators.POW, alpha);
    }

    private static FloatVector geluTanhInner(FloatVector x) {
        return x.mul(x).mul(x).mul(GELU_C).add(x).mul(SQRT_2_OVER_PI);
    }

    /**
     * erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, what float32 can hold near 1): the
     * same approximation PyTorch's vectorised CPU kernels use.
     */
    static FloatVector erf(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector t = ax.mul(0.3275911f).add(1f);
        t = t.broadcast(1f).div(t);
        FloatVector poly = t.mul(1.061405429f).add(-1.453152027f);
        poly = poly.mul(t).add(1.421413741f);
        poly = poly.mul(t).add(-0.284496736f);
        poly = poly.mul(t).add(0.254829592f);
        poly = poly.mul(t);
        FloatVector y = poly.mul(ax.mul(ax).neg().lanewise(VectorOperators.EXP)).neg().add(1f);
        return y.blend(y.neg(), x.compare(VectorOperators.LT, 0f));
    }
}
