package dev.t4j.cpu;

import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The contiguous float32 runs of the elementwise kernels, one small loop per operation. A single loop with a
 * switch over the operation inside it, or a shared helper taking the operation as an argument, grows too large
 * for C2 to inline, and then every vector crosses a call as a heap object instead of a register (measured: a
 * quarter of a training step went to that boxing). Each method here is small and monomorphic, so the vectors stay
 * in registers. Written out per operation on purpose; VectorMath holds the formulas.
 */
final class ElementwiseRuns {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private ElementwiseRuns() {}

    /** out[oo + i * step] = v for i < n, whole vectors where step is 1. */
    static void fill(MemorySegment os, long oo, int step, int n, float v) {
        int i = 0;
        if (step == 1) {
            FloatVector bv = FloatVector.broadcast(S, v);
            for (; i <= n - V; i += V) {
                bv.intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            os.setAtIndex(VectorMath.F, oo + (long) i * step, v);
        }
    }

    /**
     * out[oo + i] = e^(x[xo + i] - shift) * scale for i < n (not stored when os is null); returns the sum of the
     * unscaled exponentials, added in a fixed order. The loop of softmax, cross-entropy and attention, in a method of
     * its own: inlined into their large row loops, t4j's exp was not compiled to vector code there (2x slower).
     */
    static float expRun(MemorySegment xs, long xo, float shift, float scale, MemorySegment os, long oo, int n) {
        FloatVector vs = FloatVector.broadcast(S, shift);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector e = VectorMath.expNormal(FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE).sub(vs));
            acc = acc.add(e);
            if (os != null) { // scaled (cross-entropy's gradient): no denormals, see VectorMath.flushDenormals
                (scale == 1f ? e : VectorMath.flushDenormals(e.mul(scale))).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        float sum = VectorMath.sum(acc);
        for (; i < n; i++) {
            // as expNormal: 0 below the normal range
            float e = VectorMath.flushDenormal((float) Math.exp(xs.getAtIndex(VectorMath.F, xo + i) - shift));
            sum += e;
            if (os != null) {
                os.setAtIndex(VectorMath.F, oo + i, VectorMath.flushDenormal(e * scale));
            }
        }
        return sum;
    }

    /**
     * {@link #expRun} of the run at {@code xo} (scale 1), and in the same loop the maximum of the run of the same length at
     * {@code nextXo}, stored in {@code nextMax[0]}: cross-entropy's next row of logits comes from memory while this
     * row's exponentials are computed, instead of in a pass of its own that waits on memory (GPT training's
     * 2,048 x 8,192 logits, one thread: the maxima's pass took 4.2 ms a step, the exponentials' 4.6).
     */
    static float expRunWithNextMax(MemorySegment xs, long xo, float shift, long nextXo, float[] nextMax,
            MemorySegment os, long oo, int n) {
        FloatVector vs = FloatVector.broadcast(S, shift);
        FloatVector acc = FloatVector.zero(S);
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - V; i += V) {
            max = max.max(FloatVector.fromMemorySegment(S, xs, (nextXo + i) * 4, NATIVE));
            FloatVector e = VectorMath.expNormal(FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE).sub(vs));
            acc = acc.add(e);
            if (os != null) {
                e.intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        float sum = VectorMath.sum(acc);
        float m = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, xs.getAtIndex(VectorMath.F, nextXo + i));
            float e = (float) Math.exp(xs.getAtIndex(VectorMath.F, xo + i) - shift);
            sum += e;
            if (os != null) {
                os.setAtIndex(VectorMath.F, oo + i, e);
            }
        }
        nextMax[0] = m;
        return sum;
    }

    /** out[i] = op(x[i]) for i < n, both runs contiguous (elements from xo, oo). */
    static void unary(UnaryOp op, float alpha, MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        switch (op) {
            case NEG -> neg(xs, xo, os, oo, n, alpha);
            case EXP -> exp(xs, xo, os, oo, n, alpha);
            case LOG -> log(xs, xo, os, oo, n, alpha);
            case SQRT -> sqrt(xs, xo, os, oo, n, alpha);
            case RSQRT -> rsqrt(xs, xo, os, oo, n, alpha);
            case RECIP -> recip(xs, xo, os, oo, n, alpha);
            case TANH -> tanh(xs, xo, os, oo, n, alpha);
            case ERF -> erf(xs, xo, os, oo, n, alpha);
            case ABS -> abs(xs, xo, os, oo, n, alpha);
            case SIGN -> sign(xs, xo, os, oo, n, alpha);
            case SIGMOID -> sigmoid(xs, xo, os, oo, n, alpha);
            case RELU -> relu(xs, xo, os, oo, n, alpha);
            case GELU -> gelu(xs, xo, os, oo, n, alpha);
            case GELU_TANH -> geluTanh(xs, xo, os, oo, n, alpha);
            case SIN -> sin(xs, xo, os, oo, n, alpha);
            case COS -> cos(xs, xo, os, oo, n, alpha);
            case SCALE -> scale(xs, xo, os, oo, n, alpha);
            case ADD_SCALAR -> addScalar(xs, xo, os, oo, n, alpha);
            case POW_SCALAR -> powScalar(xs, xo, os, oo, n, alpha);
            case RELU_DERIV -> reluDeriv(xs, xo, os, oo, n, alpha);
            case GELU_DERIV -> geluDeriv(xs, xo, os, oo, n, alpha);
            case GELU_TANH_DERIV -> geluTanhDeriv(xs, xo, os, oo, n, alpha);
        }
    }

    /**
     * out[i] = g[i] * act'(x[i]) for i < n, all contiguous: an activation's backward pass in one pass (against the
     * derivative kernel and a multiply: 1.85 -> 1.16 ms for [16, 128, 1024], one thread). One loop per activation,
     * as for the unary ops: with the switch inside one loop C2 did not inline the functions and boxed vectors. The
     * tail is one masked vector, as theirs (it was a whole vector's derivative per leftover element).
     */
    static void activationBackward(UnaryOp act, MemorySegment xs, long xo, MemorySegment gs, long go,
            MemorySegment os, long oo, int n) {
        switch (act) {
            case RELU -> reluBackward(xs, xo, gs, go, os, oo, n);
            case GELU -> geluBackward(xs, xo, gs, go, os, oo, n);
            case GELU_TANH -> geluTanhBackward(xs, xo, gs, go, os, oo, n);
            default -> throw new IllegalStateException(act + " is not an activation");
        }
    }

    private static void reluBackward(MemorySegment xs, long xo, MemorySegment gs, long go, MemorySegment os, long oo,
            int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            FloatVector g = FloatVector.fromMemorySegment(S, gs, (go + i) * 4, NATIVE);
            g.mul(VectorMath.reluDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            FloatVector g = FloatVector.fromMemorySegment(S, gs, (go + i) * 4, NATIVE, m);
            g.mul(VectorMath.reluDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void geluBackward(MemorySegment xs, long xo, MemorySegment gs, long go, MemorySegment os, long oo,
            int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            FloatVector g = FloatVector.fromMemorySegment(S, gs, (go + i) * 4, NATIVE);
            g.mul(VectorMath.geluDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            FloatVector g = FloatVector.fromMemorySegment(S, gs, (go + i) * 4, NATIVE, m);
            g.mul(VectorMath.geluDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void geluTanhBackward(MemorySegment xs, long xo, MemorySegment gs, long go, MemorySegment os,
            long oo, int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            FloatVector g = FloatVector.fromMemorySegment(S, gs, (go + i) * 4, NATIVE);
            g.mul(VectorMath.geluTanhDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            FloatVector g = FloatVector.fromMemorySegment(S, gs, (go + i) * 4, NATIVE, m);
            g.mul(VectorMath.geluTanhDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void neg(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.neg()).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.neg()).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void exp(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            VectorMath.exp(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            VectorMath.exp(x).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void log(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            VectorMath.log(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            VectorMath.log(x).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void sqrt(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.sqrt()).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.sqrt()).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void rsqrt(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.broadcast(1f).div(x.sqrt())).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.broadcast(1f).div(x.sqrt())).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void recip(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.broadcast(1f).div(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.broadcast(1f).div(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void tanh(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            VectorMath.tanh(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            VectorMath.tanh(x).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void erf(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.erf(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.erf(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void abs(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.abs()).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.abs()).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void sign(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.sign(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.sign(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void sigmoid(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.sigmoid(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.sigmoid(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void relu(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.max(0f)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.max(0f)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void gelu(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.gelu(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.gelu(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void geluTanh(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.geluTanh(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.geluTanh(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void sin(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.lanewise(VectorOperators.SIN)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.lanewise(VectorOperators.SIN)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void cos(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.lanewise(VectorOperators.COS)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.lanewise(VectorOperators.COS)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void scale(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.mul(alpha)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.mul(alpha)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    /**
     * os[oo, oo + n) = xs * alpha with the results below float32's normal range set to 0 ({@link
     * VectorMath#flushDenormals}): cross-entropy's gradient, exp(x - max) * (scale / sum), whose smallest values would
     * otherwise slow the LM head's two products that read it.
     */
    static void scaleFlushingDenormals(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            VectorMath.flushDenormals(x.mul(alpha)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            VectorMath.flushDenormals(x.mul(alpha)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void addScalar(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (x.add(alpha)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (x.add(alpha)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void powScalar(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.pow(x, alpha)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.pow(x, alpha)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void reluDeriv(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.reluDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.reluDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void geluDeriv(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.geluDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.geluDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    private static void geluTanhDeriv(MemorySegment xs, long xo, MemorySegment os, long oo, int n, float alpha) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE);
            (VectorMath.geluTanhDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = FloatVector.fromMemorySegment(S, xs, (xo + i) * 4, NATIVE, m);
            (VectorMath.geluTanhDeriv(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE, m);
        }
    }

    /**
     * out[i] = a[i] op b[i] for i < n with out contiguous; a and b each contiguous ({@code aStep} / {@code bStep} 1)
     * or one broadcast value (step 0).
     */
    static void binary(BinaryOp op, MemorySegment as, long ao, int aStep, MemorySegment bs, long bo, int bStep,
            MemorySegment os, long oo, int n) {
        switch (op) {
            case ADD -> add(as, ao, aStep, bs, bo, bStep, os, oo, n);
            case SUB -> sub(as, ao, aStep, bs, bo, bStep, os, oo, n);
            case MUL -> mul(as, ao, aStep, bs, bo, bStep, os, oo, n);
            case DIV -> div(as, ao, aStep, bs, bo, bStep, os, oo, n);
            case MAX -> max(as, ao, aStep, bs, bo, bStep, os, oo, n);
            case MIN -> min(as, ao, aStep, bs, bo, bStep, os, oo, n);
            case POW -> pow(as, ao, aStep, bs, bo, bStep, os, oo, n);
            default -> throw new IllegalStateException(op + " is not an arithmetic operation");
        }
    }

    private static void add(MemorySegment as, long ao, int aStep, MemorySegment bs, long bo, int bStep,
            MemorySegment os, long oo, int n) {
        int i = 0;
        if (aStep == 1 && bStep == 1) {
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.add(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else if (aStep == 1) {
            FloatVector b = FloatVector.broadcast(S, bs.getAtIndex(VectorMath.F, bo));
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                (a.add(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else {
            FloatVector a = FloatVector.broadcast(S, as.getAtIndex(VectorMath.F, ao));
            for (; i <= n - V; i += V) {
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.add(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            float a = as.getAtIndex(VectorMath.F, ao + (long) i * aStep);
            float b = bs.getAtIndex(VectorMath.F, bo + (long) i * bStep);
            os.setAtIndex(VectorMath.F, oo + i, VectorMath.scalar(BinaryOp.ADD, a, b));
        }
    }

    private static void sub(MemorySegment as, long ao, int aStep, MemorySegment bs, long bo, int bStep,
            MemorySegment os, long oo, int n) {
        int i = 0;
        if (aStep == 1 && bStep == 1) {
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.sub(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else if (aStep == 1) {
            FloatVector b = FloatVector.broadcast(S, bs.getAtIndex(VectorMath.F, bo));
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                (a.sub(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else {
            FloatVector a = FloatVector.broadcast(S, as.getAtIndex(VectorMath.F, ao));
            for (; i <= n - V; i += V) {
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.sub(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            float a = as.getAtIndex(VectorMath.F, ao + (long) i * aStep);
            float b = bs.getAtIndex(VectorMath.F, bo + (long) i * bStep);
            os.setAtIndex(VectorMath.F, oo + i, VectorMath.scalar(BinaryOp.SUB, a, b));
        }
    }

    private static void mul(MemorySegment as, long ao, int aStep, MemorySegment bs, long bo, int bStep,
            MemorySegment os, long oo, int n) {
        int i = 0;
        if (aStep == 1 && bStep == 1) {
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.mul(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else if (aStep == 1) {
            FloatVector b = FloatVector.broadcast(S, bs.getAtIndex(VectorMath.F, bo));
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                (a.mul(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else {
            FloatVector a = FloatVector.broadcast(S, as.getAtIndex(VectorMath.F, ao));
            for (; i <= n - V; i += V) {
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.mul(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            float a = as.getAtIndex(VectorMath.F, ao + (long) i * aStep);
            float b = bs.getAtIndex(VectorMath.F, bo + (long) i * bStep);
            os.setAtIndex(VectorMath.F, oo + i, VectorMath.scalar(BinaryOp.MUL, a, b));
        }
    }

    private static void div(MemorySegment as, long ao, int aStep, MemorySegment bs, long bo, int bStep,
            MemorySegment os, long oo, int n) {
        int i = 0;
        if (aStep == 1 && bStep == 1) {
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.div(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else if (aStep == 1) {
            FloatVector b = FloatVector.broadcast(S, bs.getAtIndex(VectorMath.F, bo));
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                (a.div(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else {
            FloatVector a = FloatVector.broadcast(S, as.getAtIndex(VectorMath.F, ao));
            for (; i <= n - V; i += V) {
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.div(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            float a = as.getAtIndex(VectorMath.F, ao + (long) i * aStep);
            float b = bs.getAtIndex(VectorMath.F, bo + (long) i * bStep);
            os.setAtIndex(VectorMath.F, oo + i, VectorMath.scalar(BinaryOp.DIV, a, b));
        }
    }

    private static void max(MemorySegment as, long ao, int aStep, MemorySegment bs, long bo, int bStep,
            MemorySegment os, long oo, int n) {
        int i = 0;
        if (aStep == 1 && bStep == 1) {
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.max(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else if (aStep == 1) {
            FloatVector b = FloatVector.broadcast(S, bs.getAtIndex(VectorMath.F, bo));
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                (a.max(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else {
            FloatVector a = FloatVector.broadcast(S, as.getAtIndex(VectorMath.F, ao));
            for (; i <= n - V; i += V) {
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.max(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            float a = as.getAtIndex(VectorMath.F, ao + (long) i * aStep);
            float b = bs.getAtIndex(VectorMath.F, bo + (long) i * bStep);
            os.setAtIndex(VectorMath.F, oo + i, VectorMath.scalar(BinaryOp.MAX, a, b));
        }
    }

    private static void min(MemorySegment as, long ao, int aStep, MemorySegment bs, long bo, int bStep,
            MemorySegment os, long oo, int n) {
        int i = 0;
        if (aStep == 1 && bStep == 1) {
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.min(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else if (aStep == 1) {
            FloatVector b = FloatVector.broadcast(S, bs.getAtIndex(VectorMath.F, bo));
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                (a.min(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else {
            FloatVector a = FloatVector.broadcast(S, as.getAtIndex(VectorMath.F, ao));
            for (; i <= n - V; i += V) {
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.min(b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            float a = as.getAtIndex(VectorMath.F, ao + (long) i * aStep);
            float b = bs.getAtIndex(VectorMath.F, bo + (long) i * bStep);
            os.setAtIndex(VectorMath.F, oo + i, VectorMath.scalar(BinaryOp.MIN, a, b));
        }
    }

    private static void pow(MemorySegment as, long ao, int aStep, MemorySegment bs, long bo, int bStep,
            MemorySegment os, long oo, int n) {
        int i = 0;
        if (aStep == 1 && bStep == 1) {
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.lanewise(VectorOperators.POW, b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else if (aStep == 1) {
            FloatVector b = FloatVector.broadcast(S, bs.getAtIndex(VectorMath.F, bo));
            for (; i <= n - V; i += V) {
                FloatVector a = FloatVector.fromMemorySegment(S, as, (ao + i) * 4, NATIVE);
                (a.lanewise(VectorOperators.POW, b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        } else {
            FloatVector a = FloatVector.broadcast(S, as.getAtIndex(VectorMath.F, ao));
            for (; i <= n - V; i += V) {
                FloatVector b = FloatVector.fromMemorySegment(S, bs, (bo + i) * 4, NATIVE);
                (a.lanewise(VectorOperators.POW, b)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
            }
        }
        for (; i < n; i++) {
            float a = as.getAtIndex(VectorMath.F, ao + (long) i * aStep);
            float b = bs.getAtIndex(VectorMath.F, bo + (long) i * bStep);
            os.setAtIndex(VectorMath.F, oo + i, VectorMath.scalar(BinaryOp.POW, a, b));
        }
    }

}
