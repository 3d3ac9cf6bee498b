package dev.t4j.tensor;

import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.UnaryOp;

/** Elementwise operations and their gradients. */
final class Pointwise {
    private Pointwise() {}

    static Tensor unary(UnaryOp op, double alpha, Tensor x) {
        Tensor.checkFloating(op.name().toLowerCase(), x);
        Tensor out = Tensor.empty(x.backend(), x.dtype(), x.shapeRef());
        x.backend().unary(op, alpha, x, out);
        return Tensor.record(out, op.name().toLowerCase(), g -> new Tensor[] {unaryGrad(op, alpha, x, out, g)}, x);
    }

    /** Records {@code out}, already computed as act(x), as the activation's node (RELU, GELU or GELU_TANH). */
    static Tensor activationNode(UnaryOp act, Tensor x, Tensor out) {
        return Tensor.record(out, act.name().toLowerCase(), g -> new Tensor[] {activationGrad(act, x, g)}, x);
    }

    private static Tensor apply(UnaryOp op, double alpha, Tensor x) {
        Tensor out = Tensor.empty(x.backend(), x.dtype(), x.shapeRef());
        x.backend().unary(op, alpha, x, out);
        return out;
    }

    /** The vector-Jacobian product of each unary op: what PyTorch's derivatives.yaml says, in Tensor ops. */
    private static Tensor unaryGrad(UnaryOp op, double alpha, Tensor x, Tensor y, Tensor g) {
        return switch (op) {
            case NEG -> g.neg();
            case EXP -> g.mul(y);
            case LOG -> g.div(x);
            case SQRT -> g.mul(0.5).div(y);
            case RSQRT -> g.mul(y.mul(y).mul(y)).mul(-0.5);
            case RECIP -> g.mul(y.mul(y)).neg();
            case TANH -> g.mul(y.mul(y).neg().add(1));
            case ERF -> g.mul(x.mul(x).neg().exp()).mul(2 / Math.sqrt(Math.PI));
            case ABS -> g.mul(apply(UnaryOp.SIGN, 0, x));
            case SIGN -> g.zerosLike();
            case SIGMOID -> g.mul(y.mul(y.neg().add(1)));
            case RELU, GELU, GELU_TANH -> activationGrad(op, x, g);
            case SIN -> g.mul(apply(UnaryOp.COS, 0, x));
            case COS -> g.mul(apply(UnaryOp.SIN, 0, x)).neg();
            case SCALE -> g.mul(alpha);
            case ADD_SCALAR -> g;
            case POW_SCALAR -> g.mul(apply(UnaryOp.POW_SCALAR, alpha - 1, x)).mul(alpha);
            case RELU_DERIV, GELU_DERIV, GELU_TANH_DERIV ->
                throw new IllegalStateException(op + " is a derivative kernel and has no gradient of its own");
        };
    }

    /** g * act'(x) (g shaped as the op's output, so as x) in one backend call. */
    private static Tensor activationGrad(UnaryOp act, Tensor x, Tensor g) {
        Tensor out = Tensor.empty(x.backend(), x.dtype(), x.shapeRef());
        x.backend().activationBackward(act, x, g.dtype() == x.dtype() ? g : g.to(x.dtype()), out);
        return out;
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        Tensor.checkSameDevice(name, a, b);
        if (a.dtype() != b.dtype()) {
            if (!a.dtype().isFloatingPoint() || !b.dtype().isFloatingPoint()) {
                Tensor.checkSameType(name, a, b); // names both types
            }
            DType t = DType.promote(a.dtype(), b.dtype()); // a float32 activation plus a bfloat16 weight: float32
            return binary(op, a.to(t), b.to(t));
        }
        Tensor.checkFloating(name, a);
        int[] shape = Shapes.broadcast(a.shapeRef(), b.shapeRef());
        Tensor out = Tensor.empty(a.backend(), a.dtype(), shape);
        a.backend().binary(op, a.expand(shape).detach(), b.expand(shape).detach(), out);
        int[] sa = a.shapeRef();
        int[] sb = b.shapeRef();
        return Tensor.record(out, name, g -> switch (op) {
            case ADD -> new Tensor[] {g.sumTo(sa), g.sumTo(sb)};
            case SUB -> new Tensor[] {g.sumTo(sa), g.neg().sumTo(sb)};
            case MUL -> new Tensor[] {g.mul(b).sumTo(sa), g.mul(a).sumTo(sb)};
            case DIV -> new Tensor[] {g.div(b).sumTo(sa), g.mul(out).div(b).neg().sumTo(sb)};
            case POW -> new Tensor[] {
                g.mul(b).mul(a.pow(b.sub(1.0))).sumTo(sa),
                // d/db a^b = a^b ln a; where a == 0 torch defines the term as 0
                g.mul(out).mul(where(a.eq(a.zerosLike()), a.zerosLike(), a.log())).sumTo(sb)};
            case MAX, MIN -> {
                // ties send the gradient to a, as torch.maximum does not (it splits); documented in the test
                Tensor pickA = op == BinaryOp.MAX ? a.ge(b) : a.le(b);
                Tensor zero = g.zerosLike();
                yield new Tensor[] {where(pickA, g, zero).sumTo(sa), where(pickA, zero, g).sumTo(sb)};
            }
            default -> throw new IllegalStateException(op + " is not differentiable");
        }, a, b);
    }

    static Tensor compare(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        Tensor.checkSameDevice(name, a, b);
        Tensor.checkSameType(name, a, b);
        int[] shape = Shapes.broadcast(a.shapeRef(), b.shapeRef());
        Tensor out = Tensor.empty(a.backend(), DType.BOOL, shape);
        a.backend().binary(op, a.expand(shape).detach(), b.expand(shape).detach(), out);
        return out;
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Tensor.checkSameDevice("where", a, b);
        Tensor.checkSameDevice("where", cond, a);
        Tensor.checkSameType("where", a, b);
        int[] shape = Shapes.broadcast(cond.shapeRef(), Shapes.broadcast(a.shapeRef(), b.shapeRef()));
        Tensor out = Tensor.empty(a.backend(), a.dtype(), shape);
        a.backend().where(cond.expand(shape).detach(), a.expand(shape).detach(), b.expand(shape).detach(), out);
        int[] sa = a.shapeRef();
        int[] sb = b.shapeRef();
        return Tensor.record(out, "where", g -> {
            Tensor zero = Tensor.full(g.backend(), g.dtype(), 0);
            return new Tensor[] {null, where(cond, g, zero).sumTo(sa), where(cond, zero, g).sumTo(sb)};
        }, cond, a, b);
    }

}
