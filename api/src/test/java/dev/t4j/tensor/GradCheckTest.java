package dev.t4j.tensor;

import static dev.t4j.testkit.GradCheck.check;

import dev.t4j.memory.Scope;
import dev.t4j.testkit.GradCheck.Input;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every differentiable op against central finite differences in float64, on odd shapes (not multiples of any
 * vector width), with broadcasting and non-contiguous views.
 */
class GradCheckTest {
    private Scope scope;

    @BeforeEach
    void open() {
        scope = Scope.open("test");
    }

    @AfterEach
    void close() {
        scope.close();
    }

    private static Input r(long seed, int... shape) {
        return Input.random(seed, shape);
    }

    private static Input p(long seed, int... shape) {
        return Input.positive(seed, shape);
    }

    @Test
    void arithmeticWithBroadcasting() {
        check("add", x -> x[0].add(x[1]), r(1, 3, 5), r(2, 5));
        check("sub", x -> x[0].sub(x[1]), r(1, 3, 1, 7), r(2, 4, 1));
        check("mul", x -> x[0].mul(x[1]), r(1, 2, 3, 5), r(2, 3, 1));
        check("div", x -> x[0].div(x[1]), r(1, 3, 5), p(2, 3, 1));
        check("pow", x -> x[0].pow(x[1]), p(1, 3, 5), r(2, 5));
        check("maximum", x -> x[0].maximum(x[1]), r(1, 4, 3), r(2, 4, 3));
        check("minimum", x -> x[0].minimum(x[1]), r(1, 4, 3), r(2, 3));
        check("scalars", x -> x[0].mul(3).add(2).sub(1).div(4), r(1, 7));
        check("pow scalar", x -> x[0].pow(2.5), p(1, 3, 3));
    }

    @Test
    void unaryFunctions() {
        check("neg", x -> x[0].neg(), r(3, 11));
        check("exp", x -> x[0].exp(), r(3, 11));
        check("log", x -> x[0].log(), p(3, 11));
        check("sqrt", x -> x[0].sqrt(), p(3, 11));
        check("rsqrt", x -> x[0].rsqrt(), p(3, 11));
        check("reciprocal", x -> x[0].reciprocal(), p(3, 11));
        check("tanh", x -> x[0].tanh(), r(3, 11));
        check("erf", x -> x[0].erf(), r(3, 11));
        check("abs", x -> x[0].abs(), r(3, 11));
        check("sigmoid", x -> x[0].sigmoid(), r(3, 11));
        check("relu", x -> x[0].relu(), r(3, 11));
        check("gelu", x -> x[0].gelu(), r(3, 13));
        check("geluTanh", x -> x[0].geluTanh(), r(3, 13));
        check("sin", x -> x[0].sin(), r(3, 5));
        check("cos", x -> x[0].cos(), r(3, 5));
    }

    @Test
    void views() {
        check("transpose then mul", x -> x[0].transpose(0, 1).mul(x[1]), r(4, 3, 5), r(5, 5, 3));
        check("permute", x -> x[0].permute(2, 0, 1).exp(), r(4, 2, 3, 5));
        check("reshape of non-contiguous", x -> x[0].mT().reshape(-1).mul(2), r(4, 3, 5));
        check("narrow", x -> x[0].narrow(1, 1, 3).mul(x[0].narrow(1, 0, 3)), r(4, 3, 5));
        check("select", x -> x[0].select(0, 2), r(4, 3, 5));
        check("expand", x -> x[0].expand(4, 3, 5).mul(x[1]), r(4, 3, 1), r(5, 4, 3, 5));
        check("unsqueeze squeeze", x -> x[0].unsqueeze(1).squeeze(1).tanh(), r(4, 7));
        check("contiguous", x -> x[0].mT().contiguous(), r(4, 3, 5));
        check("used twice", x -> x[0].mul(x[0]).add(x[0]), r(4, 6));
    }

    @Test
    void reductions() {
        check("sum all", x -> x[0].sum(), r(5, 3, 7));
        check("sum dim", x -> x[0].sum(1, false), r(5, 3, 7));
        check("sum keepdim of view", x -> x[0].mT().sum(0, true), r(5, 3, 7));
        check("mean", x -> x[0].mean(-1, true), r(5, 3, 7));
        check("max", x -> x[0].max(1, false), r(5, 3, 7));
        check("min", x -> x[0].min(0, true), r(5, 3, 7));
        check("var", x -> x[0].var(1, false, 1), r(5, 4, 9));
    }

    @Test
    void matmul() {
        check("matmul 2d", x -> x[0].matmul(x[1]), r(6, 5, 7), r(7, 7, 3));
        check("matmul batched broadcast", x -> x[0].matmul(x[1]), r(6, 2, 3, 5, 4), r(7, 3, 4, 6));
        check("matmul transposed operands", x -> x[0].mT().matmul(x[1].mT()), r(6, 4, 5), r(7, 3, 4));
        check("matmul vector", x -> x[0].matmul(x[1]), r(6, 5), r(7, 5, 3));
        check("matrix vector", x -> x[0].matmul(x[1]), r(6, 3, 5), r(7, 5));
    }

    @Test
    void neuralNetworkOps() {
        check("softmax last", x -> x[0].softmax(-1), r(8, 3, 7));
        check("softmax inner", x -> x[0].softmax(0), r(8, 3, 7));
        check("logSoftmax", x -> x[0].logSoftmax(-1), r(8, 3, 7));
        check("layerNorm", 1e-6, 1e-5, x -> x[0].layerNorm(x[1], x[2], 1e-5), r(9, 3, 2, 7), r(10, 7), r(11, 7));
        Tensor causal = dev.t4j.nn.Attention.causalBias(1, 3).to(DType.F64);
        check("attention (fused op, causal)", x -> Tensor.attention(x[0], x[1], x[2], causal, 0.7), r(21, 2, 2, 3, 5),
                r(22, 2, 2, 4, 5), r(23, 2, 2, 4, 5));
        var dropout = new dev.t4j.backend.DropoutMask(0.4, 7);
        check("attention (fused op, learned bias)", x -> Tensor.attention(x[0], x[1], x[2], x[3], 1, null),
                r(21, 2, 2, 3, 5), r(22, 2, 2, 4, 5), r(23, 2, 2, 4, 5), r(28, 1, 2, 3, 4));
        check("dropout (its mask drawn again backward)", x -> x[0].dropout(dropout), r(27, 3, 2, 9));
        check("attention (fused op, causal, dropout)", x -> Tensor.attention(x[0], x[1], x[2], causal, 0.7, dropout),
                r(21, 2, 2, 3, 5), r(22, 2, 2, 4, 5), r(23, 2, 2, 4, 5));
        check("linear (fused bias)", x -> Tensor.linear(x[0], x[1], x[2], null), r(24, 2, 3, 5), r(25, 5, 4), r(26, 4));
        check("linear with GELU", x -> Tensor.linear(x[0], x[1].mT(), x[2], dev.t4j.backend.UnaryOp.GELU), r(24, 3, 5),
                r(25, 4, 5), r(26, 4));
        check("layerNorm no affine", x -> x[0].layerNorm(null, null, 1e-5), r(9, 4, 6));
        check("rmsNorm", x -> x[0].rmsNorm(x[1], 1e-6), r(9, 3, 7), r(10, 7));
        Tensor targets = Tensor.of(new long[] {2, -100, 0, 4, 1, 3}, 2, 3);
        check("crossEntropy", x -> x[0].crossEntropy(targets, -100), r(12, 2, 3, 5));
        check("crossEntropy on view", x -> x[0].mT().crossEntropy(targets.reshape(-1).narrow(0, 0, 5), -100),
                r(12, 5, 5));
        check("linearCrossEntropy", x -> Tensor.linearCrossEntropy(x[0], x[1], targets, -100), r(12, 2, 3, 4),
                r(13, 5, 4));
        // logits of 2 rows at a time (5 classes, counted at 4 bytes each): chunks of 2, 2 and 1 rows
        check("linearCrossEntropy in chunks", x -> NeuralOps.linearCrossEntropy(x[0], x[1], targets.reshape(-1)
                .narrow(0, 0, 5), -100, 40), r(12, 5, 4), r(13, 5, 4));
        check("linearCrossEntropy, upstream gradient not 1", x -> Tensor.linearCrossEntropy(x[0], x[1], targets, -100)
                .mul(-2.5), r(12, 2, 3, 4), r(13, 5, 4));
    }

    @Test
    void indexing() {
        Tensor ids = Tensor.of(new long[] {3, 0, 3, 2, 1, 3}, 2, 3);
        check("embedding (repeated ids sum)", x -> Tensor.embedding(x[0], ids), r(13, 4, 5));
        check("indexSelect dim 1", x -> x[0].indexSelect(1, Tensor.of(new long[] {2, 0, 2}, 3)), r(13, 3, 4));
        Tensor gidx = Tensor.of(new long[] {0, 2, 1, 1, 0, 0}, 3, 2);
        check("gather", x -> x[0].gather(1, gidx), r(14, 3, 4));
        check("scatterAdd", x -> x[0].scatterAdd(1, gidx, x[1]), r(14, 3, 4), r(15, 3, 2));
        check("cat", x -> Tensor.cat(1, x[0], x[1].mT()), r(16, 3, 2), r(17, 4, 3));
        check("stack", x -> Tensor.stack(0, x[0], x[1]), r(16, 3, 2), r(17, 3, 2));
        Tensor mask = Tensor.of(new long[] {1, 0, 0, 1, 1}, 5).ne(Tensor.of(new long[] {0}, 1));
        check("maskedFill", x -> x[0].maskedFill(mask, -1e9).softmax(-1), r(18, 3, 5));
        check("where", x -> Tensor.where(mask, x[0], x[1]), r(18, 3, 5), r(19, 5));
    }

    @Test
    void conversions() {
        check("to f32 and back", 1e-3, 1e-3, x -> x[0].to(DType.F32).mul(2).to(DType.F64), r(20, 5));
    }
}
