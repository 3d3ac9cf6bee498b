package dev.t4j.backend.host;

import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.UnaryOp;

/**
 * Every elementwise function in double precision: the reference the fast kernels are tested against, and the
 * slow path for uncommon types. Java has no erf, so one is here, accurate to double precision.
 */
public final class ScalarMath {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2 = 1 / Math.sqrt(2);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    private static final double GELU_C = 0.044715;

    private ScalarMath() {}

    public static double unary(UnaryOp op, double alpha, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case RECIP -> 1 / x;
            case TANH -> Math.tanh(x);
            case ERF -> erf(x);
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case RELU -> x > 0 ? x : 0;
            case GELU -> 0.5 * x * (1 + erf(x * INV_SQRT_2));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case SCALE -> alpha * x;
            case ADD_SCALAR -> x + alpha;
            case POW_SCALAR -> Math.pow(x, alpha);
            case RELU_DERIV -> x > 0 ? 1 : 0;
            case GELU_DERIV -> 0.5 * (1 + erf(x * INV_SQRT_2)) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
            case GELU_TANH_DERIV -> {
                double t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x));
                yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x);
            }
        };
    }

    public static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MIN -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
            case POW -> Math.pow(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
        };
    }

    /**
     * The error function to double precision: the series 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (2n+1)!!, whose
     * terms are all positive (no cancellation), below |x| = 3; a continued fraction for erfc above.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double x2 = ax * ax;
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
                if (term < 1e-17 * sum) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
        } else if (ax > 27) {
            r = 1;
        } else {
            // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated backwards
            double f = ax;
            for (int k = 60; k >= 1; k--) {
                f = ax + (k / 2.0) / f;
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
