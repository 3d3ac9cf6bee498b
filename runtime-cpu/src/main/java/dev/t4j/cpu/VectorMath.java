package dev.t4j.cpu;

import dev.t4j.backend.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The elementwise functions on float vectors. exp, log and tanh, and the sums of a vector's lanes, are written here in
 * additions, multiplications and fused multiply-adds, each correctly rounded, rather than taken from the Vector API
 * ({@code lanewise(EXP)}, {@code reduceLanes(ADD)}): the API's compiled intrinsics (SVML, a tree of additions) and its
 * Java fallbacks, which run until the JIT has compiled a loop, round differently, so a training run's numbers
 * depended on when the JIT got there and two runs with one seed parted in the sixth digit. Written this way, the
 * code gives the same bits interpreted and compiled. sin, cos and pow remain the JDK's.
 */
final class VectorMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float INV_SQRT_2 = (float) (1 / Math.sqrt(2));
    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
    private static final float GELU_C = 0.044715f;

    static final java.lang.foreign.ValueLayout.OfFloat F = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

    private VectorMath() {}

    private static final int V = S.length();
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f; // ln 2 split so that n * LN2_HI is exact for |n| < 2^9
    private static final float LN2_LO = 1.42860682030941723212e-6f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float EXP_HIGH = 89f; // e^89 overflows: the clamp keeps n at 128
    private static final float EXP_LOW = -104f; // e^-104 is below half the smallest denormal: 0
    // lane permutations moving lane i + h to lane i: adding each, largest first, sums the lanes in a fixed order
    private static final VectorShuffle<Float> FOLD_32 = fold(32);
    private static final VectorShuffle<Float> FOLD_16 = fold(16);
    private static final VectorShuffle<Float> FOLD_8 = fold(8);
    private static final VectorShuffle<Float> FOLD_4 = fold(4);
    private static final VectorShuffle<Float> FOLD_2 = fold(2);
    private static final VectorShuffle<Float> FOLD_1 = fold(1);

    private static VectorShuffle<Float> fold(int h) {
        return h < V ? VectorShuffle.fromOp(S, i -> (i + h) % V) : null;
    }

    /**
     * The sum of the lanes, always added in the same order: halves folded onto each other (constant permutations,
     * which C2 compiles to one permute each; a loop over an array of them cost GEMV decoding 10 %).
     */
    static float sum(FloatVector x) {
        if (V > 32) {
            x = x.add(x.rearrange(FOLD_32));
        }
        if (V > 16) {
            x = x.add(x.rearrange(FOLD_16));
        }
        if (V > 8) {
            x = x.add(x.rearrange(FOLD_8));
        }
        if (V > 4) {
            x = x.add(x.rearrange(FOLD_4));
        }
        if (V > 2) {
            x = x.add(x.rearrange(FOLD_2));
        }
        if (V > 1) {
            x = x.add(x.rearrange(FOLD_1));
        }
        return x.lane(0);
    }

    /**
     * e^x to about 1 ulp: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by its Taylor series to r^7 (the next term is
     * below 5e-9), times 2^n built in exponent bits as two factors 2^(n/2) 2^(n - n/2), so that the products
     * themselves overflow to infinity past 88.7 and fall through the denormals to 0 below -87.3. x is first held to
     * [-104, 89], where that happens (and -infinity becomes 0); NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(EXP_LOW).min(EXP_HIGH);
        FloatVector t = c.fma(x.broadcast(LOG2E), x.broadcast(ROUND)); // ROUND + n, n in its low mantissa bits
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(x.broadcast(-LN2_HI), c);
        r = n.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(x.broadcast(1f / 5040), x.broadcast(1f / 720));
        p = p.fma(r, x.broadcast(1f / 120));
        p = p.fma(r, x.broadcast(1f / 24));
        p = p.fma(r, x.broadcast(1f / 6));
        p = p.fma(r, x.broadcast(0.5f));
        p = p.fma(r, x.broadcast(1f));
        p = p.fma(r, x.broadcast(1f));
        IntVector ni = t.reinterpretAsInts().sub(ROUND_BITS);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    private static final float NORMAL_LOW = -87.33654f; // ln of float32's smallest normal, 2^-126
    private static final int NORMAL_BIAS = ROUND_BITS - 127; // t's bits minus this: n + 127, 2^n's exponent field

    /**
     * e^x for x in [-87.3, 88.37], 0 below (where e^x is a denormal) and infinity above (where one factor 2^n
     * would need n = 128; e^x itself overflows at 88.72), for softmax and cross-entropy, whose arguments are at most 0
     * (x minus the row's maximum) and whose sums do not see values below 2^-126, and for GELU-tanh's e^(-2u), which
     * only meets 1 + it (see {@link #geluTanh}). The same reduction and polynomial as
     * {@link #exp}, then 2^n as one factor built in exponent bits instead of two, and the denormal range flushed to 0
     * by a blend: five vector operations fewer, of about twenty-two. Measured, one
     * thread, attention at 16 x 4 causal heads of 64, 128 tokens: forward 1.69-1.73 -> 1.45-1.50 ms, backward
     * 3.98-4.06 -> 3.82-3.83 ms; T5's encoder attention (512 tokens, a position bias) unchanged at 3.3 ms. The
     * reduction and polynomial are written out again rather than shared with exp through a helper: that one more call
     * level made C2 stop inlining into the attention backward's loops (3.8 -> 4.6-4.8 ms).
     */
    static FloatVector expNormal(FloatVector x) {
        FloatVector c = x.max(NORMAL_LOW).min(EXP_HIGH); // n = 128 past 88.37: 2^n's bits are infinity's
        FloatVector t = c.fma(x.broadcast(LOG2E), x.broadcast(ROUND)); // ROUND + n, n in its low mantissa bits
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(x.broadcast(-LN2_HI), c);
        r = n.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(x.broadcast(1f / 5040), x.broadcast(1f / 720));
        p = p.fma(r, x.broadcast(1f / 120));
        p = p.fma(r, x.broadcast(1f / 24));
        p = p.fma(r, x.broadcast(1f / 6));
        p = p.fma(r, x.broadcast(0.5f));
        p = p.fma(r, x.broadcast(1f));
        p = p.fma(r, x.broadcast(1f));
        FloatVector scale = t.reinterpretAsInts().sub(NORMAL_BIAS).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return p.mul(scale).blend(0f, x.compare(VectorOperators.LT, NORMAL_LOW));
    }

    /**
     * y with the lanes below float32's normal range (|y| < 2^-126) set to 0. Java cannot set the FPU's flush-to-zero
     * mode, and on Intel cores every operation that meets a denormal takes a microcode assist: an LM head's products
     * over a gradient of such values ran 7-9x slower (BENCHMARKS.md, twelfth session). Where a gradient is made of
     * probabilities times a small scale, its denormals are below anything a sum of them can show.
     */
    static FloatVector flushDenormals(FloatVector y) {
        return y.blend(0f, y.abs().compare(VectorOperators.LT, Float.MIN_NORMAL));
    }

    /** {@link #flushDenormals} of one value, for the scalar tails of the same loops. */
    static float flushDenormal(float y) {
        return Math.abs(y) < Float.MIN_NORMAL ? 0f : y;
    }

    /**
     * tanh: an odd Taylor polynomial to x^11 below |x| = 0.25 (the next term is below 3e-9), else
     * sign(x) (1 - 2 / (e^(2|x|) + 1)), which is +-1 in float32 beyond |x| = 10.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.fma(x.broadcast(-1382f / 155925), x.broadcast(62f / 2835));
        p = p.fma(x2, x.broadcast(-17f / 315));
        p = p.fma(x2, x.broadcast(2f / 15));
        p = p.fma(x2, x.broadcast(-1f / 3));
        FloatVector small = p.mul(x2).fma(x, x);
        FloatVector e = exp(ax.min(10f).mul(2f));
        FloatVector large = x.broadcast(1f).sub(x.broadcast(2f).div(e.add(1f)));
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, 0f));
        FloatVector y = large.blend(small, ax.compare(VectorOperators.LT, 0.25f));
        return y.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /**
     * ln x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s) for s = (m - 1) / (m + 1), |s| < 0.172, by its
     * series to s^11. 0 gives -infinity, negatives NaN, +infinity and NaN themselves; denormals are scaled first.
     */
    static FloatVector log(FloatVector x) {
        var tiny = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(8388608f), tiny); // 2^23
        IntVector bits = xs.reinterpretAsInts();
        // m in [sqrt(1/2), sqrt(2)): take the exponent relative to 0x3f3504f3 (sqrt(1/2))
        IntVector shifted = bits.sub(0x3f3504f3);
        IntVector e = shifted.lanewise(VectorOperators.ASHR, 23);
        FloatVector m = bits.sub(e.lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats();
        FloatVector ef = (FloatVector) e.convert(VectorOperators.I2F, 0);
        ef = ef.sub(x.broadcast(0f).blend(x.broadcast(23f), tiny));
        FloatVector s = m.sub(1f).div(m.add(1f));
        FloatVector s2 = s.mul(s);
        FloatVector p = s2.fma(x.broadcast(2f / 11), x.broadcast(2f / 9));
        p = p.fma(s2, x.broadcast(2f / 7));
        p = p.fma(s2, x.broadcast(2f / 5));
        p = p.fma(s2, x.broadcast(2f / 3));
        p = p.fma(s2, x.broadcast(2f));
        FloatVector lnm = p.mul(s);
        FloatVector y = ef.fma(x.broadcast(LN2_LO), lnm);
        y = ef.fma(x.broadcast(LN2_HI), y);
        y = y.blend(x.broadcast(Float.NEGATIVE_INFINITY), x.compare(VectorOperators.EQ, 0f));
        y = y.blend(x.broadcast(Float.NaN), x.compare(VectorOperators.LT, 0f));
        y = y.blend(x, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return y.blend(x, x.test(VectorOperators.IS_NAN));
    }

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /** V floats from element index {@code at} of {@code seg}. */
    static FloatVector load(MemorySegment seg, long at) {
        return FloatVector.fromMemorySegment(S, seg, at * 4, NATIVE);
    }

    /** The lanes of {@code m} from element index {@code at}. */
    static FloatVector load(MemorySegment seg, long at, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, seg, at * 4, NATIVE, m);
    }

    /**
     * V floats from element index {@code at}: stored as float32, or as bfloat16 and widened. It loads itself rather
     * than calling {@link #load(MemorySegment, long)}: through that one more call, GEMV decoding fell from 121 to 21
     * tokens/s (C2 left the shared, already compiled method out of line, and its vectors boxed).
     */
    static FloatVector load(MemorySegment seg, long at, boolean bf16) {
        return bf16 ? Bf16.load(seg, at) : FloatVector.fromMemorySegment(S, seg, at * 4, NATIVE);
    }

    /** x into element index {@code at} of {@code seg}. */
    static void store(FloatVector x, MemorySegment seg, long at) {
        x.intoMemorySegment(seg, at * 4, NATIVE);
    }

    static FloatVector sign(FloatVector x) {
        return x.broadcast(0f).blend(x.broadcast(1f), x.compare(VectorOperators.GT, 0f))
                .blend(x.broadcast(-1f), x.compare(VectorOperators.LT, 0f));
    }

    static FloatVector sigmoid(FloatVector x) {
        return x.broadcast(1f).div(exp(x.neg()).add(1f));
    }

    static FloatVector gelu(FloatVector x) {
        return x.mul(0.5f).mul(erf(x.mul(INV_SQRT_2)).add(1f));
    }

    /**
     * 0.5 x (1 + tanh(u)) written as x sigmoid(2u): one exp, no tanh (1 + tanh(u) = 2 / (1 + e^(-2u))). The exp is
     * {@link #expNormal}: e^(-2u) only meets 1 + it, where its denormals and its infinity from 88.37 change nothing.
     * With -2u's constants folded ({@link #minusTwoInner}), measured, one thread, 2M values: forward 0.98-1.02 ->
     * 0.83 ms, backward 1.12-1.15 -> 0.98 ms; the same worst errors as before (1.7 ulp, and the derivative's 16 ulp
     * where 1 - s cancels, see VectorMathTest).
     */
    static FloatVector geluTanh(FloatVector x) {
        return x.div(expNormal(minusTwoInner(x)).add(1f));
    }

    static FloatVector reluDeriv(FloatVector x) {
        return x.broadcast(0f).blend(x.broadcast(1f), x.compare(VectorOperators.GT, 0f));
    }

    static FloatVector geluDeriv(FloatVector x) {
        return erf(x.mul(INV_SQRT_2)).add(1f).mul(0.5f)
                .add(x.mul(exp(x.mul(x).mul(-0.5f))).mul(INV_SQRT_2PI));
    }

    /**
     * d/dx of 0.5 x (1 + tanh(u)) = 0.5 (1 + t) + 0.5 x (1 - t^2) u', with t = tanh(u) = 2 s - 1 for s = sigmoid(2u):
     * s + 2 x s (1 - s) u'.
     */
    static FloatVector geluTanhDeriv(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector sg = x.broadcast(1f).div(expNormal(x2.fma(MINUS_TWO_C, MINUS_TWO).mul(x)).add(1f));
        FloatVector twoDInner = x2.fma(SIX_C, TWO); // 2 u' = 2 sqrt(2 / pi) (1 + 3 c x^2)
        return x.broadcast(1f).sub(sg).mul(sg).mul(x.mul(twoDInner)).add(sg); // 1 - sg exact where sg is near 1
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
            case EXP -> exp(x);
            case LOG -> log(x);
            case SQRT -> x.sqrt();
            case RSQRT -> x.broadcast(1f).div(x.sqrt());
            case RECIP -> x.broadcast(1f).div(x);
            case TANH -> tanh(x);
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

    // -2u = -2 sqrt(2 / pi) (x + c x^3) = x (MINUS_TWO + MINUS_TWO_C x^2), constants folded: three multiplies fewer
    private static final float MINUS_TWO = -2 * SQRT_2_OVER_PI;
    private static final float MINUS_TWO_C = MINUS_TWO * GELU_C;
    private static final float TWO = 2 * SQRT_2_OVER_PI;
    private static final float SIX_C = 3 * GELU_C * TWO;

    private static FloatVector minusTwoInner(FloatVector x) {
        return x.mul(x).fma(MINUS_TWO_C, MINUS_TWO).mul(x);
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
        FloatVector y = poly.mul(exp(ax.mul(ax).neg())).neg().add(1f);
        return y.blend(y.neg(), x.compare(VectorOperators.LT, 0f));
    }
}
