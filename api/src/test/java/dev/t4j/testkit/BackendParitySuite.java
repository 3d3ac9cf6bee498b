package dev.t4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.backend.Backend;
import dev.t4j.backend.Backends;
import dev.t4j.backend.DropoutMask;
import dev.t4j.backend.UnaryOp;
import dev.t4j.backend.reference.ReferenceBackend;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The op parity suite, written once: every op of the tensor API is run on the backend under test and on the
 * reference backend with the same float32 inputs (odd sizes, broadcasts, transposed and sliced views), and the
 * results must agree. A runtime module's test extends this class and names its backend.
 */
public abstract class BackendParitySuite {
    private final Backend reference = new ReferenceBackend();
    private Scope scope;

    /** The backend being checked. */
    protected abstract Backend backend();

    @BeforeEach
    void openScope() {
        scope = Scope.open("parity");
    }

    @AfterEach
    void closeScope() {
        scope.close();
    }

    private static float[] random(long seed, int n, double scale) {
        Generator g = new Generator(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (g.nextGaussian() * scale);
        }
        return v;
    }

    private static Tensor on(Backend b, float[] data, int... shape) {
        return Tensor.upload(b, DType.F32, MemorySegment.ofArray(data), data.length, shape);
    }

    private static Tensor on(Backend b, long[] data, int... shape) {
        return Tensor.upload(b, DType.I64, MemorySegment.ofArray(data), data.length, shape);
    }

    private static int numel(int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * Runs {@code body} with {@code b} as the default backend, as a program using only that backend would: ops that
     * make small helper tensors (masks, scalars) make them on the default backend, and a device backend cannot read
     * a host tensor (nor the reference backend a device one).
     */
    private static <T> T withDefault(Backend b, java.util.function.Supplier<T> body) {
        Backend previous = Backends.defaultBackend();
        Backends.setDefault(b);
        try {
            return body.get();
        } finally {
            Backends.setDefault(previous);
        }
    }

    /** Runs {@code op} on both backends over the given random inputs and compares. */
    private void same(String what, Function<Tensor[], Tensor> op, int[]... shapes) {
        Tensor[] ref = new Tensor[shapes.length];
        Tensor[] test = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            float[] data = random(31L * i + what.hashCode(), numel(shapes[i]), 1.0);
            ref[i] = on(reference, data, shapes[i]);
            test[i] = on(backend(), data, shapes[i]);
        }
        assertClose(what, withDefault(reference, () -> op.apply(ref)), withDefault(backend(), () -> op.apply(test)), 2e-5);
    }

    private static void assertClose(String what, Tensor expected, Tensor actual, double rtol) {
        assertThat(actual.shape()).as(what + " shape").containsExactly(expected.shape());
        assertThat(actual.dtype()).as(what + " dtype").isEqualTo(expected.dtype());
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        double scale = 1e-6;
        for (double v : e) {
            if (Double.isFinite(v)) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < e.length; i++) {
            if (Double.isNaN(e[i])) {
                assertThat(a[i]).as("%s[%d]", what, i).isNaN();
                continue;
            }
            double tol = rtol * (Math.abs(e[i]) + scale * 0.1) + 1e-7;
            assertThat(Math.abs(a[i] - e[i])).as("%s[%d]: expected %s, got %s", what, i, e[i], a[i]).isLessThanOrEqualTo(tol);
        }
    }

    @Test
    void unaryOps() {
        Map<String, Function<Tensor, Tensor>> ops = new LinkedHashMap<>();
        ops.put("neg", Tensor::neg);
        ops.put("exp", Tensor::exp);
        ops.put("log", t -> t.abs().add(0.1).log());
        ops.put("sqrt", t -> t.abs().sqrt());
        ops.put("rsqrt", t -> t.abs().add(0.1).rsqrt());
        ops.put("reciprocal", t -> t.add(10).reciprocal());
        ops.put("tanh", Tensor::tanh);
        ops.put("erf", Tensor::erf);
        ops.put("abs", Tensor::abs);
        ops.put("sign", Tensor::sign);
        ops.put("sigmoid", Tensor::sigmoid);
        ops.put("relu", Tensor::relu);
        ops.put("gelu", Tensor::gelu);
        ops.put("geluTanh", Tensor::geluTanh);
        ops.put("sin", Tensor::sin);
        ops.put("cos", Tensor::cos);
        ops.put("scale", t -> t.mul(-1.5));
        ops.put("addScalar", t -> t.add(0.25));
        ops.put("pow", t -> t.abs().pow(1.7));
        ops.put("square", t -> t.pow(2));
        for (var e : ops.entrySet()) {
            same(e.getKey(), x -> e.getValue().apply(x[0]), new int[] {3, 5, 37});
            same(e.getKey() + " of a transposed view", x -> e.getValue().apply(x[0].transpose(0, 2)), new int[] {3, 5, 37});
        }
    }

    @Test
    void binaryOpsBroadcast() {
        Map<String, java.util.function.BinaryOperator<Tensor>> ops = new LinkedHashMap<>();
        ops.put("add", Tensor::add);
        ops.put("sub", Tensor::sub);
        ops.put("mul", Tensor::mul);
        ops.put("div", (a, b) -> a.div(b.abs().add(0.5)));
        ops.put("maximum", Tensor::maximum);
        ops.put("minimum", Tensor::minimum);
        ops.put("pow", (a, b) -> a.abs().add(0.1).pow(b));
        for (var e : ops.entrySet()) {
            same(e.getKey(), x -> e.getValue().apply(x[0], x[1]), new int[] {7, 131}, new int[] {7, 131});
            same(e.getKey() + " row broadcast", x -> e.getValue().apply(x[0], x[1]), new int[] {4, 3, 37}, new int[] {37});
            same(e.getKey() + " column broadcast", x -> e.getValue().apply(x[0], x[1]), new int[] {4, 1, 37}, new int[] {5, 1});
            same(e.getKey() + " scalar", x -> e.getValue().apply(x[0], x[1]), new int[] {3, 19}, new int[] {});
            same(e.getKey() + " transposed", x -> e.getValue().apply(x[0].mT(), x[1]), new int[] {9, 6}, new int[] {6, 9});
            // 16 x 16 blocks and their edges (the CPU transposes those in registers), batched, either side
            same(e.getKey() + " transposed blocks", x -> e.getValue().apply(x[0].mT(), x[1]), new int[] {37, 50},
                    new int[] {50, 37});
            same(e.getKey() + " batch of transposed blocks, row broadcast",
                    x -> e.getValue().apply(x[0].transpose(-2, -1), x[1]), new int[] {3, 35, 40}, new int[] {35});
            same(e.getKey() + " by a transposed view", x -> e.getValue().apply(x[0], x[1].mT()), new int[] {33, 48},
                    new int[] {48, 33});
        }
        same("in-place add_", x -> x[0].copy().add_(x[1], 0.5), new int[] {6, 33}, new int[] {33});
        same("eq", x -> x[0].gt(x[1]), new int[] {5, 17}, new int[] {17});
        same("where", x -> Tensor.where(x[0].gt(x[1]), x[0], x[1].mul(2)), new int[] {5, 17}, new int[] {17});
        same("maskedFill", x -> x[0].maskedFill(x[1].lt(x[1].mul(0)), -3), new int[] {5, 17}, new int[] {5, 17});
    }

    @Test
    void reductions() {
        for (int axis = 0; axis < 3; axis++) {
            int d = axis;
            same("sum " + d, x -> x[0].sum(d, false), new int[] {6, 7, 33});
            same("max " + d, x -> x[0].max(d, true), new int[] {6, 7, 33});
            same("min " + d, x -> x[0].min(d, false), new int[] {6, 7, 33});
            same("argmax " + d, x -> x[0].argmax(d, false), new int[] {6, 7, 33});
            same("argmin " + d, x -> x[0].argmin(d, false), new int[] {6, 7, 33});
            same("sum of permuted " + d, x -> x[0].permute(2, 0, 1).sum(d, true), new int[] {6, 7, 33});
        }
        same("sum all", x -> x[0].sum(), new int[] {1000, 3});
        // a bias gradient's shape: many rows, few columns (summed in slices of the rows where a backend splits it)
        same("sum over 1000 rows", x -> x[0].sum(0, false), new int[] {1000, 37});
        same("sum over 1000 rows, kept", x -> x[0].sum(0, true), new int[] {1000, 37});
        same("sum over 999 rows of a transposed view", x -> x[0].mT().sum(1, false), new int[] {37, 999});
        same("var", x -> x[0].var(-1, false, 1), new int[] {4, 77});
    }

    @Test
    void matmulShapes() {
        // 1 x 1001 x 300: one row split across threads into an even and an odd share of dot products
        int[][] mnk = {{1, 1, 1}, {7, 5, 3}, {33, 65, 17}, {128, 96, 80}, {13, 300, 257}, {1, 257, 70}, {70, 1, 31},
                {1, 1001, 300}};
        for (int[] s : mnk) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            same("matmul " + m + "x" + n + "x" + k, x -> x[0].matmul(x[1]), new int[] {m, k}, new int[] {k, n});
            same("matmul A^T " + m + "x" + n + "x" + k, x -> x[0].mT().matmul(x[1]), new int[] {k, m}, new int[] {k, n});
            same("matmul B^T " + m + "x" + n + "x" + k, x -> x[0].matmul(x[1].mT()), new int[] {m, k}, new int[] {n, k});
        }
        same("batched broadcast matmul", x -> x[0].matmul(x[1]), new int[] {2, 3, 17, 9}, new int[] {3, 9, 21});
        same("attention-shaped", x -> x[0].matmul(x[1].transpose(-2, -1)), new int[] {2, 4, 19, 16}, new int[] {2, 4, 19, 16});
        same("sliced operand", x -> x[0].narrow(1, 3, 20).matmul(x[1]), new int[] {10, 30}, new int[] {20, 7});
        same("k = 0", x -> x[0].narrow(1, 0, 0).matmul(x[1].narrow(0, 0, 0)), new int[] {4, 3}, new int[] {3, 5});
    }

    @Test
    void matmulWithBfloat16Weights() {
        // float32 activations times bfloat16 weights, both weight layouts, one row (generation) and many
        int[][] mnk = {{1, 1, 1}, {1, 257, 70}, {1, 96, 768}, {1, 1000, 300}, {1, 1001, 300}, {7, 5, 3}, {33, 65, 17},
                {13, 300, 257}};
        for (int[] s : mnk) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            same("x @ W(bf16) " + m + "x" + n + "x" + k, x -> x[0].matmul(x[1].to(DType.BF16)), new int[] {m, k},
                    new int[] {k, n});
            same("x @ W(bf16)^T " + m + "x" + n + "x" + k, x -> x[0].matmul(x[1].to(DType.BF16).mT()), new int[] {m, k},
                    new int[] {n, k});
        }
        same("[B, T, C] @ W(bf16)^T", x -> x[0].matmul(x[1].to(DType.BF16).mT()), new int[] {2, 5, 40}, new int[] {33, 40});
    }

    @Test
    void neuralNetworkOps() {
        same("softmax", x -> x[0].softmax(-1), new int[] {9, 77});
        same("softmax dim 0", x -> x[0].softmax(0), new int[] {9, 77});
        same("logSoftmax", x -> x[0].mul(10).logSoftmax(-1), new int[] {9, 77});
        same("layerNorm", x -> x[0].layerNorm(x[1], x[2], 1e-5), new int[] {5, 3, 67}, new int[] {67}, new int[] {67});
        same("layerNorm no affine", x -> x[0].layerNorm(null, null, 1e-12), new int[] {5, 3, 16});
        same("rmsNorm", x -> x[0].rmsNorm(x[1], 1e-6), new int[] {5, 3, 67}, new int[] {67});
        long[] targets = {3, -100, 0, 76, 12, 5, 5, -100, 40};
        same("crossEntropy", x -> x[0].crossEntropy(on(x[0].backend(), targets, 9), -100).reshape(1), new int[] {9, 77});
        same("copy of permuted", x -> x[0].permute(1, 2, 0).contiguous(), new int[] {4, 5, 19});
        same("fill", x -> x[0].copy().fill_(2.5), new int[] {3, 45});
        same("bf16 round trip", x -> x[0].to(DType.BF16).to(DType.F32), new int[] {3, 45});
        same("cat", x -> Tensor.cat(1, x[0], x[1].mT()), new int[] {5, 3}, new int[] {4, 5});
        same("contiguous copy of a transposed view", x -> x[0].mT().contiguous(), new int[] {40, 33});
        same("contiguous copy of a batch of transposed views", x -> x[0].transpose(1, 2).contiguous(),
                new int[] {2, 17, 64});
    }

    @Test
    void indexingOps() {
        long[] ids = {3, 0, 3, 9, 1, 3, 7};
        same("embedding", x -> Tensor.embedding(x[0], on(x[0].backend(), ids, 7)), new int[] {10, 33});
        same("indexSelect dim 1", x -> x[0].indexSelect(1, on(x[0].backend(), ids, 7)), new int[] {4, 10});
        long[] g = {0, 2, 1, 1, 0, 0, 2, 2};
        same("gather", x -> x[0].gather(1, on(x[0].backend(), g, 4, 2)), new int[] {4, 3});
        same("scatterAdd", x -> x[0].scatterAdd(1, on(x[0].backend(), g, 4, 2), x[1]), new int[] {4, 3}, new int[] {4, 2});
    }

    /** Fused attention over heads split from [B, T, C] projections (strided views), with a mask; out and grads. */
    private Tensor[] attentionAndGrads(Backend b, int batch, int heads, int tq, int tk, int d, boolean padding,
            boolean causal) {
        return attentionAndGrads(b, batch, heads, tq, tk, d, padding, causal, null);
    }

    private Tensor[] attentionAndGrads(Backend b, int batch, int heads, int tq, int tk, int d, boolean padding,
            boolean causal, DropoutMask dropout) {
        int c = heads * d;
        Tensor xq = on(b, random(41, batch * tq * c, 1), batch, tq, c).requiresGrad(true);
        Tensor xkv = on(b, random(42, batch * tk * 2 * c, 1), batch, tk, 2 * c).requiresGrad(true);
        Tensor q = xq.reshape(batch, tq, heads, d).transpose(1, 2);
        Tensor k = xkv.narrow(2, 0, c).reshape(batch, tk, heads, d).transpose(1, 2);
        Tensor v = xkv.narrow(2, c, c).reshape(batch, tk, heads, d).transpose(1, 2);
        Tensor bias = null;
        if (padding) {
            long[] mask = new long[batch * tk];
            java.util.Arrays.fill(mask, 1);
            mask[mask.length - 1] = 0;
            mask[mask.length - 2] = 0;
            bias = dev.t4j.nn.Attention.paddingBias(Tensor.upload(b, DType.I64, MemorySegment.ofArray(mask), mask.length,
                    batch, tk));
        }
        if (causal) {
            Tensor mask = dev.t4j.nn.Attention.causalBias(tk - tq, tq).to(b);
            bias = bias == null ? mask : bias.add(mask);
        }
        Tensor out = Tensor.attention(q, k, v, bias, 1 / Math.sqrt(d), dropout);
        Tensor w = on(b, random(43, (int) out.numel(), 1), out.shape());
        out.mul(w).sum().backward();
        return new Tensor[] {out.detach(), xq.grad(), xkv.grad()};
    }

    @Test
    void fusedAttentionAndItsGradients() {
        // head dims and key counts that are not multiples of a vector, self- and cross-attention, masks
        // and several tiles of a GPU's tiled kernels each way (64 rows a block, 32 keys or 16 queries a shared
        // tile), and a head too large for them (80)
        int[][] cases = {{2, 3, 7, 7, 20, 0, 1}, {1, 2, 5, 19, 16, 1, 0}, {2, 2, 33, 33, 64, 1, 1}, {1, 1, 1, 9, 8, 0, 1},
            {1, 2, 45, 70, 64, 1, 1}, {1, 1, 130, 130, 32, 0, 1}, {1, 1, 9, 40, 80, 1, 1},
            {1, 2, 300, 300, 16, 1, 1}, // causal over ~20 CPU query tiles, each computing only its unmasked keys
            {1, 1, 140, 1100, 24, 1, 1}, // keys in three CPU GEMM blocks (online softmax; dQ summed over blocks)
            {1, 1, 5, 7, 520, 1, 1}}; // a head wider than a CPU GEMM block: the CPU's composed path
        for (int[] t : cases) {
            Tensor[] ref = withDefault(reference,
                    () -> attentionAndGrads(reference, t[0], t[1], t[2], t[3], t[4], t[5] == 1, t[6] == 1));
            Tensor[] got = withDefault(backend(),
                    () -> attentionAndGrads(backend(), t[0], t[1], t[2], t[3], t[4], t[5] == 1, t[6] == 1));
            String what = "attention " + java.util.Arrays.toString(t);
            assertClose(what + " out", ref[0], got[0], 1e-4);
            assertClose(what + " dq", ref[1], got[1], 1e-4);
            assertClose(what + " dkv", ref[2], got[2], 1e-4);
        }
    }

    @Test
    void attentionBackwardFromWhatTheForwardPassKeptIsTheRecomputedOne() {
        // a backend that keeps part of the forward pass for attention's backward (attentionSavedPerQuery > 0) gives
        // the same gradients, bit for bit, as when it recomputes: causal and padded, with dropout, queries over
        // several tiles, the most keys it keeps; others are checked to keep nothing here
        Backend b = backend();
        int[][] cases = {{2, 3, 7, 7, 20}, {1, 2, 45, 70, 64}, {2, 2, 130, 130, 32}, {1, 1, 37, 256, 16}};
        for (int[] t : cases) {
            int perQuery = b.attentionSavedPerQuery(t[3], t[4]);
            if (perQuery == 0) {
                continue; // keeps nothing at this size: the backward pass is the recomputing one, tested above
            }
            for (DropoutMask dropout : new DropoutMask[] {null, new DropoutMask(0.2, 7)}) {
                String what = "attention backward from the forward's kept values " + java.util.Arrays.toString(t)
                        + (dropout == null ? "" : " with dropout");
                Tensor[] kept = withDefault(b, () -> attentionSpiGrads(b, t, dropout, perQuery));
                Tensor[] recomputed = withDefault(b, () -> attentionSpiGrads(b, t, dropout, 0));
                String[] names = {" out", " dq", " dk", " dv"};
                for (int i = 0; i < kept.length; i++) {
                    assertThat(kept[i].toFloatArray()).as(what + names[i]).containsExactly(recomputed[i].toFloatArray());
                }
            }
        }
    }

    /** The attention SPI called directly, keeping perQuery floats a query (0: none), and its gradients. */
    private static Tensor[] attentionSpiGrads(Backend b, int[] t, DropoutMask dropout, int perQuery) {
        int batch = t[0];
        int heads = t[1];
        int tq = t[2];
        int tk = t[3];
        int d = t[4];
        Tensor q = on(b, random(61, batch * heads * tq * d, 1), batch, heads, tq, d);
        Tensor k = on(b, random(62, batch * heads * tk * d, 1), batch, heads, tk, d);
        Tensor v = on(b, random(63, batch * heads * tk * d, 1), batch, heads, tk, d);
        long[] mask = new long[batch * tk];
        java.util.Arrays.fill(mask, 1);
        mask[mask.length - 1] = 0;
        Tensor bias = dev.t4j.nn.Attention.paddingBias(Tensor.upload(b, DType.I64, MemorySegment.ofArray(mask),
                mask.length, batch, tk)).add(dev.t4j.nn.Attention.causalBias(tk - tq, tq).to(b))
                .expand(batch, heads, tq, tk);
        Tensor gradOut = on(b, random(64, batch * heads * tq * d, 1), batch, heads, tq, d);
        Tensor out = Tensor.empty(b, DType.F32, batch, heads, tq, d);
        Tensor lse = Tensor.empty(b, DType.F32, batch, heads, tq);
        Tensor saved = perQuery == 0 ? null : Tensor.empty(b, DType.F32, batch, heads, tq, perQuery);
        double scale = 1 / Math.sqrt(d);
        b.attention(q, k, v, bias, scale, dropout, out, lse, saved);
        Tensor gq = Tensor.empty(b, DType.F32, q.shape());
        Tensor gk = Tensor.empty(b, DType.F32, k.shape());
        Tensor gv = Tensor.empty(b, DType.F32, v.shape());
        b.attentionBackward(q, k, v, bias, scale, dropout, out, lse, saved, gradOut, gq, gk, gv, null);
        return new Tensor[] {out, gq, gk, gv};
    }

    /** Self-attention over one projection qkv [B, T, 3C], packed or split into q, k, v by views; qkv also used whole. */
    private Tensor[] packedAttentionAndGrad(Backend b, int batch, int heads, int t, int d, boolean packed,
            DropoutMask dropout) {
        int c = heads * d;
        Tensor qkv = on(b, random(44, batch * t * 3 * c, 1), batch, t, 3 * c).requiresGrad(true);
        Tensor x = qkv.mul(1.5); // not a leaf: its gradient is a sum this backward pass owns
        Tensor bias = dev.t4j.nn.Attention.causalBias(0, t).to(b);
        Tensor out;
        if (packed) {
            out = Tensor.attentionPacked(x, heads, bias, 1 / Math.sqrt(d), dropout);
        } else {
            Tensor[] s = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                s[i] = x.narrow(2, i * c, c).reshape(batch, t, heads, d).transpose(1, 2);
            }
            out = Tensor.attention(s[0], s[1], s[2], bias, 1 / Math.sqrt(d), dropout);
        }
        Tensor w = on(b, random(45, (int) out.numel(), 1), out.shape());
        out.mul(w).sum().add(x.mul(x).sum()).backward();
        return new Tensor[] {out.detach(), qkv.grad()};
    }

    @Test
    void packedAttentionGivesTheProjectionItsGradientWhole() {
        int[][] cases = {{2, 3, 7, 20}, {1, 2, 45, 64}, {2, 2, 130, 32}};
        for (DropoutMask dropout : new DropoutMask[] {null, new DropoutMask(0.3, 99)}) {
            for (int[] t : cases) {
                Tensor[] ref = withDefault(reference,
                        () -> packedAttentionAndGrad(reference, t[0], t[1], t[2], t[3], false, dropout));
                for (boolean packed : new boolean[] {true, false}) {
                    Tensor[] got = withDefault(backend(),
                            () -> packedAttentionAndGrad(backend(), t[0], t[1], t[2], t[3], packed, dropout));
                    String what = (packed ? "packed " : "split ") + "attention " + java.util.Arrays.toString(t)
                            + (dropout == null ? "" : " with dropout");
                    assertClose(what + " out", ref[0], got[0], 1e-4);
                    assertClose(what + " dqkv", ref[1], got[1], 1e-4);
                }
            }
        }
    }

    @Test
    void fusedAttentionWithDropout() {
        // the mask is drawn inside the kernels from the seed, forward and again backward; the reference multiplies by
        // DropoutMask.mask. One CPU block and three (the mask over a later block's keys), causal, padding
        DropoutMask dropout = new DropoutMask(0.3, 1234);
        int[][] cases = {{2, 3, 7, 7, 20, 0, 1}, {1, 2, 45, 70, 64, 1, 1}, {1, 2, 300, 300, 16, 1, 1},
            {1, 1, 140, 1100, 24, 1, 1}};
        for (int[] t : cases) {
            Tensor[] ref = withDefault(reference,
                    () -> attentionAndGrads(reference, t[0], t[1], t[2], t[3], t[4], t[5] == 1, t[6] == 1, dropout));
            Tensor[] got = withDefault(backend(),
                    () -> attentionAndGrads(backend(), t[0], t[1], t[2], t[3], t[4], t[5] == 1, t[6] == 1, dropout));
            Tensor[] none = withDefault(backend(),
                    () -> attentionAndGrads(backend(), t[0], t[1], t[2], t[3], t[4], t[5] == 1, t[6] == 1, null));
            String what = "attention with dropout " + java.util.Arrays.toString(t);
            assertClose(what + " out", ref[0], got[0], 1e-4);
            assertClose(what + " dq", ref[1], got[1], 1e-4);
            assertClose(what + " dkv", ref[2], got[2], 1e-4);
            assertThat(maxAbsDiff(got[0], none[0])).as(what + ": dropout changes the output").isGreaterThan(1e-3);
        }
    }

    @Test
    void fusedAttentionGivesALearnedBiasItsGradient() {
        // T5's case: a position bias [1, H, Tq, Tk] that requires a gradient plus a padding mask over the batch;
        // one CPU key block and two, with and without dropout
        int[][] cases = {{2, 3, 9, 9, 16}, {2, 2, 20, 530, 8}};
        for (int[] t : cases) {
            for (DropoutMask dropout : new DropoutMask[] {null, new DropoutMask(0.2, 5)}) {
                Tensor[] ref = withDefault(reference, () -> learnedBiasAttention(reference, t, dropout));
                Tensor[] got = withDefault(backend(), () -> learnedBiasAttention(backend(), t, dropout));
                String what = "attention with a learned bias " + java.util.Arrays.toString(t)
                        + (dropout == null ? "" : " and dropout");
                assertClose(what + " out", ref[0], got[0], 1e-4);
                assertClose(what + " dq", ref[1], got[1], 1e-4);
                assertClose(what + " dk", ref[2], got[2], 1e-4);
                assertClose(what + " dv", ref[3], got[3], 1e-4);
                assertClose(what + " dbias", ref[4], got[4], 1e-4);
            }
        }
    }

    private static Tensor[] learnedBiasAttention(Backend b, int[] t, DropoutMask dropout) {
        int batch = t[0];
        int heads = t[1];
        int tq = t[2];
        int tk = t[3];
        int d = t[4];
        Tensor q = on(b, random(101, batch * heads * tq * d, 1), batch, heads, tq, d).requiresGrad(true);
        Tensor k = on(b, random(102, batch * heads * tk * d, 1), batch, heads, tk, d).requiresGrad(true);
        Tensor v = on(b, random(103, batch * heads * tk * d, 1), batch, heads, tk, d).requiresGrad(true);
        Tensor position = on(b, random(104, heads * tq * tk, 2), 1, heads, tq, tk).requiresGrad(true);
        long[] mask = new long[batch * tk];
        java.util.Arrays.fill(mask, 1);
        java.util.Arrays.fill(mask, mask.length - 3, mask.length, 0); // the last sequence's last keys are padding
        Tensor bias = position.add(dev.t4j.nn.Attention.paddingBias(on(b, mask, batch, tk)));
        Tensor out = Tensor.attention(q, k, v, bias, 1, dropout); // T5 does not scale
        out.mul(on(b, random(105, (int) out.numel(), 1), out.shape())).sum().backward();
        return new Tensor[] {out.detach(), q.grad(), k.grad(), v.grad(), position.grad()};
    }

    /**
     * Loss and gradient in one call, the gradient into a tensor of its own and over the logits themselves (the SPI
     * allows both; the LM head uses the first): a row ignored, 77 classes (whole vectors and a tail).
     */
    @Test
    void crossEntropyWithGradientIntoItsOwnBufferOrInPlace() {
        long[] targets = {3, -100, 76, 0, 40};
        for (boolean inPlace : new boolean[] {false, true}) {
            for (boolean wantLoss : new boolean[] {false, true}) {
                String what = "crossEntropyWithGradient " + (inPlace ? "in place" : "into its own buffer")
                        + (wantLoss ? ", loss" : ", gradient");
                same(what, x -> {
                    Backend b = x[0].backend();
                    Tensor logits = x[0].mul(1.0); // a copy, so that in place overwrites no input
                    Tensor grad = inPlace ? logits : Tensor.empty(b, DType.F32, 5, 77);
                    Tensor loss = Tensor.empty(b, DType.F32, 5);
                    Tensor lse = Tensor.empty(b, DType.F32, 5);
                    b.crossEntropyWithGradient(logits, on(b, targets, 5), -100, 0.25, loss, lse, grad);
                    return wantLoss ? loss : grad;
                }, new int[] {5, 77});
            }
        }
    }

    @Test
    void activationBackwardInOnePass() {
        // g * act'(x) over 111 values: whole vectors and a tail
        for (UnaryOp act : new UnaryOp[] {UnaryOp.RELU, UnaryOp.GELU, UnaryOp.GELU_TANH}) {
            same("activationBackward " + act, x -> {
                Tensor out = Tensor.empty(x[0].backend(), x[0].dtype(), x[0].shape());
                x[0].backend().activationBackward(act, x[0], x[1], out);
                return out;
            }, new int[] {3, 37}, new int[] {3, 37});
        }
    }

    @Test
    void dropoutDrawsTheMaskOfItsSeed() {
        // rows of 37 (a vector and a tail) and of 1,000; the same op is its own backward pass
        for (int[] shape : new int[][] {{3, 5, 37}, {40, 1000}}) {
            same("dropout " + java.util.Arrays.toString(shape), x -> x[0].dropout(new DropoutMask(0.3, 17)), shape);
            Tensor[] ref = withDefault(reference, () -> droppedAndGrad(reference, shape));
            Tensor[] got = withDefault(backend(), () -> droppedAndGrad(backend(), shape));
            assertClose("dropout gradient " + java.util.Arrays.toString(shape), ref[1], got[1], 1e-6);
        }
    }

    private static Tensor[] droppedAndGrad(Backend b, int[] shape) {
        Tensor x = on(b, random(91, numel(shape), 1), shape).requiresGrad(true);
        Tensor y = x.dropout(new DropoutMask(0.3, 17));
        y.mul(on(b, random(92, numel(shape), 1), shape)).sum().backward();
        return new Tensor[] {y.detach(), x.grad()};
    }

    @Test
    void fusedAndMaterialisedAttentionDropTheSameProbabilities() {
        DropoutMask dropout = new DropoutMask(0.5, 99);
        Tensor[] fused = withDefault(backend(), () -> droppedAttention(backend(), dropout, true));
        Tensor[] materialised = withDefault(backend(), () -> droppedAttention(backend(), dropout, false));
        assertClose("attention with dropout, fused against materialised, out", materialised[0], fused[0], 1e-4);
        assertClose("attention with dropout, fused against materialised, dq", materialised[1], fused[1], 1e-4);
        assertClose("attention with dropout, fused against materialised, dk", materialised[2], fused[2], 1e-4);
        assertClose("attention with dropout, fused against materialised, dv", materialised[3], fused[3], 1e-4);
    }

    private static Tensor[] droppedAttention(Backend b, DropoutMask dropout, boolean fused) {
        Tensor q = on(b, random(81, 2 * 3 * 40 * 16, 1), 2, 3, 40, 16).requiresGrad(true);
        Tensor k = on(b, random(82, 2 * 3 * 40 * 16, 1), 2, 3, 40, 16).requiresGrad(true);
        Tensor v = on(b, random(83, 2 * 3 * 40 * 16, 1), 2, 3, 40, 16).requiresGrad(true);
        Tensor bias = dev.t4j.nn.Attention.causalBias(0, 40).to(b);
        Tensor out = fused ? Tensor.attention(q, k, v, bias, 0.25, dropout)
                : dev.t4j.nn.Attention.materialised(q, k, v, bias, 0.25, dropout);
        out.mul(on(b, random(84, (int) out.numel(), 1), out.shape())).sum().backward();
        return new Tensor[] {out.detach(), q.grad(), k.grad(), v.grad()};
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    @Test
    void fusedAttentionOnRowsWhoseEveryKeyIsMasked() {
        // a sequence of nothing but padding (mask -3.4e38): its rows attend uniformly to every key. Recomputing the
        // probabilities from the log-sum-exp made them 1 instead of 1 / keys there (lse = max + log(keys) rounds back
        // to max): gradients keys times too large. 20 keys: one CPU block; 530: two, the rows' own sums recomputed.
        // Heads of 16 take a GPU's tiled kernels, heads of 80 its warp kernels
        for (int[] c : new int[][] {{20, 16}, {530, 16}, {20, 80}}) {
            Tensor[] ref = withDefault(reference, () -> fullyMaskedAttention(reference, c[0], c[1], false));
            Tensor[] got = withDefault(backend(), () -> fullyMaskedAttention(backend(), c[0], c[1], true));
            String what = "attention, every key masked, " + c[0] + " keys, heads of " + c[1];
            assertClose(what + " out", ref[0], got[0], 1e-4);
            assertClose(what + " dq", ref[1], got[1], 1e-4);
            assertClose(what + " dk", ref[2], got[2], 1e-4);
            assertClose(what + " dv", ref[3], got[3], 1e-4);
        }
    }

    @Test
    void fusedAttentionUnderAMaskWhoseRowsEndAnywhere() {
        // each query row sees the keys before its own end, and the ends go up and down: rows 16-47 see none of the
        // second CPU block of 512 keys although rows 0-15 before them do, so the sums over that block that start at
        // row 0 must find zeros for those rows, not what the first block left there. The runs are long enough that,
        // for a CPU query tile of up to 16 rows, some whole tile after the first sees none of that block
        int tq = 80;
        int tk = 600;
        int[] ends = new int[tq];
        for (int i = 0; i < tq; i++) {
            ends[i] = i < 16 ? 600 : i < 48 ? 100 : i < 64 ? 550 : 300;
        }
        Tensor[] ref = withDefault(reference, () -> raggedMaskAttention(reference, tq, tk, ends));
        Tensor[] got = withDefault(backend(), () -> raggedMaskAttention(backend(), tq, tk, ends));
        assertClose("attention, ragged mask, out", ref[0], got[0], 1e-4);
        assertClose("attention, ragged mask, dq", ref[1], got[1], 1e-4);
        assertClose("attention, ragged mask, dk", ref[2], got[2], 1e-4);
        assertClose("attention, ragged mask, dv", ref[3], got[3], 1e-4);
    }

    private static Tensor[] raggedMaskAttention(Backend b, int tq, int tk, int[] ends) {
        int heads = 2;
        int d = 16;
        Tensor q = on(b, random(71, heads * tq * d, 1), 1, heads, tq, d).requiresGrad(true);
        Tensor k = on(b, random(72, heads * tk * d, 1), 1, heads, tk, d).requiresGrad(true);
        Tensor v = on(b, random(73, heads * tk * d, 1), 1, heads, tk, d).requiresGrad(true);
        float[] mask = new float[tq * tk];
        for (int i = 0; i < tq; i++) {
            java.util.Arrays.fill(mask, i * tk + ends[i], (i + 1) * tk, (float) dev.t4j.nn.Attention.MASK_VALUE);
        }
        Tensor bias = on(b, mask, 1, 1, tq, tk);
        Tensor out = Tensor.attention(q, k, v, bias, 0.25);
        out.mul(on(b, random(74, (int) out.numel(), 1), out.shape())).sum().backward();
        return new Tensor[] {out.detach(), q.grad(), k.grad(), v.grad()};
    }

    /** Fused (Tensor.attention) or materialised attention over two sequences, the second all padding. */
    private static Tensor[] fullyMaskedAttention(Backend b, int t, int d, boolean fused) {
        int heads = 2;
        Tensor q = on(b, random(61, 2 * heads * t * d, 1), 2, heads, t, d).requiresGrad(true);
        Tensor k = on(b, random(62, 2 * heads * t * d, 1), 2, heads, t, d).requiresGrad(true);
        Tensor v = on(b, random(63, 2 * heads * t * d, 1), 2, heads, t, d).requiresGrad(true);
        long[] mask = new long[2 * t];
        java.util.Arrays.fill(mask, 0, t, 1);
        Tensor bias = dev.t4j.nn.Attention.paddingBias(on(b, mask, 2, t));
        Tensor out = fused ? Tensor.attention(q, k, v, bias, 0.25)
                : dev.t4j.nn.Attention.materialised(q, k, v, bias, 0.25, null);
        out.mul(on(b, random(64, (int) out.numel(), 1), out.shape())).sum().backward();
        return new Tensor[] {out.detach(), q.grad(), k.grad(), v.grad()};
    }

    @Test
    void linearCrossEntropyAndItsGradients() {
        // 70 rows over 70,000 classes: logits in chunks of 29 rows (8 MiB), the weight's gradient summed over them
        int rows = 70;
        int classes = 70_000;
        int d = 16;
        long[] targets = new long[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = i % 9 == 4 ? -100 : (i * 7919L) % classes;
        }
        Tensor[] ref = withDefault(reference, () -> linearCrossEntropyAndGrads(reference, rows, classes, d, targets));
        Tensor[] got = withDefault(backend(), () -> linearCrossEntropyAndGrads(backend(), rows, classes, d, targets));
        assertClose("linearCrossEntropy loss", ref[0], got[0], 1e-4);
        assertClose("linearCrossEntropy dx", ref[1], got[1], 1e-4);
        assertClose("linearCrossEntropy dweight", ref[2], got[2], 1e-4);
        same("matmulAccumulate", x -> {
            Tensor out = x[2].copy();
            out.backend().matmulAccumulate(x[0].mT(), x[1], out);
            return out;
        }, new int[] {37, 45}, new int[] {37, 600}, new int[] {45, 600});
    }

    private static Tensor[] linearCrossEntropyAndGrads(Backend b, int rows, int classes, int d, long[] targets) {
        Tensor x = on(b, random(51, rows * d, 1), 2, rows / 2, d).requiresGrad(true);
        Tensor w = on(b, random(52, classes * d, 0.5), classes, d).requiresGrad(true);
        Tensor loss = Tensor.linearCrossEntropy(x, w, on(b, targets, 2, rows / 2), -100);
        loss.mul(1.5).backward();
        return new Tensor[] {loss.detach().reshape(1), x.grad(), w.grad()};
    }

    @Test
    void linearWithBiasAndActivationEpilogues() {
        // one row (GEMV) and many, k across two KC blocks, ragged n, both weight layouts, bfloat16 weights; on one
        // CPU thread, 20 x 400 x 600 runs the panel-by-panel order (bias and activation once a panel's k is done)
        int[][] mnk = {{1, 45, 70}, {37, 45, 700}, {13, 300, 257}, {130, 33, 16}, {20, 400, 600}};
        UnaryOp[] acts = {null, UnaryOp.RELU, UnaryOp.GELU, UnaryOp.GELU_TANH};
        for (int[] s : mnk) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (UnaryOp act : acts) {
                String what = "linear " + m + "x" + n + "x" + k + " " + act;
                same(what, x -> Tensor.linear(x[0], x[1], x[2], act), new int[] {m, k}, new int[] {k, n}, new int[] {n});
                same(what + " W^T", x -> Tensor.linear(x[0], x[1].mT(), x[2], act), new int[] {m, k}, new int[] {n, k},
                        new int[] {n});
                same(what + " bf16 W^T", x -> Tensor.linear(x[0], x[1].to(DType.BF16).mT(), x[2], act), new int[] {m, k},
                        new int[] {n, k}, new int[] {n});
            }
            same("linear no bias " + m, x -> Tensor.linear(x[0], x[1], null, null), new int[] {m, k}, new int[] {k, n});
        }
        same("linear over [B, T, K]", x -> Tensor.linear(x[0], x[1], x[2], UnaryOp.GELU),
                new int[] {2, 5, 40}, new int[] {40, 33}, new int[] {33});
    }

    @Test
    void linearWithActivationUnderGradientsMatchesTheReference() {
        // training's path, where the activation's backward pass needs the product (one KC block, two, the
        // panel-by-panel order): the values, then the gradients of x, the weight and the bias through both
        int[][] mnk = {{37, 45, 70}, {37, 45, 700}, {20, 400, 600}};
        for (int[] s : mnk) {
            for (UnaryOp act : new UnaryOp[] {UnaryOp.RELU, UnaryOp.GELU, UnaryOp.GELU_TANH}) {
                String what = "linear " + s[0] + "x" + s[1] + "x" + s[2] + " " + act + " under gradients";
                Tensor[] ref = withDefault(reference, () -> linearAndGrads(reference, what, s, act));
                Tensor[] got = withDefault(backend(), () -> linearAndGrads(backend(), what, s, act));
                String[] names = {"", " dx", " dweight", " dbias"};
                for (int i = 0; i < ref.length; i++) {
                    assertClose(what + names[i], ref[i], got[i], 2e-5);
                }
            }
        }
    }

    /** act(x w + b) for x [m, k], w [k, n], b [n], and the gradients of sum(y * c) for a fixed c. */
    private static Tensor[] linearAndGrads(Backend b, String what, int[] mnk, UnaryOp act) {
        int m = mnk[0];
        int n = mnk[1];
        int k = mnk[2];
        Tensor x = on(b, random(what.hashCode(), m * k, 1.0), m, k).requiresGrad(true);
        Tensor w = on(b, random(what.hashCode() + 1, k * n, 0.1), k, n).requiresGrad(true);
        Tensor bias = on(b, random(what.hashCode() + 2, n, 1.0), n).requiresGrad(true);
        Tensor c = on(b, random(what.hashCode() + 3, m * n, 1.0), m, n);
        Tensor y = Tensor.linear(x, w, bias, act);
        y.mul(c).sum().backward();
        return new Tensor[] {y.detach(), x.grad(), w.grad(), bias.grad()};
    }

    @Test
    void linearParamGradientsTakeTheBiasSumsWithTheProduct() {
        // dw = x^T g, db = g's column sums: one k block of tokens and several, panels of g's columns and a ragged
        // last sliver, all of x^T packed at once and block by block (2,170 features: g packed again for the second
        // block), on two threads split by columns and by rows, a g with rows not contiguous (a transposed view)
        int[][] mkn = {{7, 5, 3}, {600, 40, 70}, {1100, 24, 400}, {64, 1030, 45}, {130, 33, 800}, {520, 2170, 390},
            {300, 130, 70}};
        for (int[] s : mkn) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            for (boolean gT : new boolean[] {false, true}) {
                if (gT && (long) m * k * n > 100_000_000) {
                    continue; // the reference's product is slow; the layout of g is tested on the smaller shapes
                }
                String what = "linearParamGradients " + m + "x" + k + "x" + n + (gT ? " g^T" : "");
                int[] gShape = gT ? new int[] {n, m} : new int[] {m, n};
                same(what + ": dw's rows, then db", x -> {
                    Tensor g = gT ? x[1].mT() : x[1];
                    Tensor dw = Tensor.empty(x[0].backend(), x[0].dtype(), k, n);
                    Tensor db = Tensor.empty(x[0].backend(), x[0].dtype(), n);
                    x[0].backend().linearParamGradients(x[0], g, dw, db);
                    return Tensor.cat(0, dw, db.unsqueeze(0));
                }, new int[] {m, k}, gShape);
            }
        }
    }

    @Test
    void adamwUpdate() {
        for (double decay : new double[] {0, 0.1}) {
            Tensor[] ref = new Tensor[3];
            Tensor[] got = new Tensor[3];
            for (int which = 0; which < 2; which++) {
                Backend b = which == 0 ? reference : backend();
                Tensor p = on(b, random(51, 1037, 1), 1037);
                Tensor g = on(b, random(52, 1037, 1), 1037);
                Tensor m = on(b, random(53, 1037, 0.1), 1037);
                Tensor v = on(b, random(54, 1037, 0.1), 1037).abs();
                b.adamw(p, g, m, v, 1e-2, 0.9, 0.999, 1e-8, decay, 1 - Math.pow(0.9, 3), 1 - Math.pow(0.999, 3));
                Tensor[] r = which == 0 ? ref : got;
                r[0] = p;
                r[1] = m;
                r[2] = v;
            }
            for (int i = 0; i < 3; i++) {
                assertClose("adamw decay " + decay + " " + new String[] {"p", "m", "v"}[i], ref[i], got[i], 1e-5);
            }
        }
    }

    /** layerNorm's (or rmsNorm's) input, weight and bias gradients (a runtime may fuse them: Backend.*NormBackward). */
    private static Tensor[] normGrads(Backend b, boolean rms, boolean affine, int... shape) {
        int c = shape[shape.length - 2]; // the normalised axis of the transposed view below
        Tensor x = on(b, random(61, numel(shape), 2), shape).requiresGrad(true);
        Tensor w = affine ? on(b, random(62, c, 1), c).requiresGrad(true) : null;
        Tensor bias = affine && !rms ? on(b, random(63, c, 1), c).requiresGrad(true) : null;
        Tensor up = on(b, random(64, numel(shape), 1), shape);
        Tensor y = rms ? x.mT().rmsNorm(w, 1e-6) : x.mT().layerNorm(w, bias, 1e-5); // transposed: made contiguous first
        y.mul(up.mT()).sum().backward();
        return !affine ? new Tensor[] {x.grad()} : rms ? new Tensor[] {x.grad(), w.grad()}
                : new Tensor[] {x.grad(), w.grad(), bias.grad()};
    }

    @Test
    void normGradients() {
        for (boolean rms : new boolean[] {false, true}) {
            for (boolean affine : new boolean[] {true, false}) {
                for (int[] shape : new int[][] {{67, 5}, {3, 130, 9}}) {
                    Tensor[] ref = withDefault(reference, () -> normGrads(reference, rms, affine, shape));
                    Tensor[] got = withDefault(backend(), () -> normGrads(backend(), rms, affine, shape));
                    for (int i = 0; i < ref.length; i++) {
                        assertClose((rms ? "rmsNorm" : "layerNorm") + " grad " + i + " affine=" + affine + " "
                                + java.util.Arrays.toString(shape), ref[i], got[i], 1e-4);
                    }
                }
            }
        }
    }

    @Test
    void gradientsOfAComposite() {
        // A two-layer MLP with layer norm, GELU and cross-entropy: every gradient must agree across backends.
        float[] xd = random(1, 6 * 20, 1);
        float[] w1d = random(2, 20 * 33, 0.3);
        float[] b1d = random(3, 33, 0.1);
        float[] w2d = random(4, 33 * 11, 0.3);
        long[] tgt = {1, 4, 10, -100, 0, 7};
        Tensor[] refGrads = withDefault(reference, () -> compositeGrads(reference, xd, w1d, b1d, w2d, tgt));
        Tensor[] testGrads = withDefault(backend(), () -> compositeGrads(backend(), xd, w1d, b1d, w2d, tgt));
        String[] names = {"loss", "dW1", "db1", "dW2"};
        for (int i = 0; i < names.length; i++) {
            assertClose("composite " + names[i], refGrads[i], testGrads[i], 1e-4);
        }
    }

    private static Tensor[] compositeGrads(Backend b, float[] xd, float[] w1d, float[] b1d, float[] w2d, long[] tgt) {
        Tensor x = on(b, xd, 6, 20);
        Tensor w1 = on(b, w1d, 20, 33).requiresGrad(true);
        Tensor b1 = on(b, b1d, 33).requiresGrad(true);
        Tensor w2 = on(b, w2d, 11, 33).requiresGrad(true);
        Tensor h = x.matmul(w1).add(b1).layerNorm(null, null, 1e-5).gelu();
        Tensor loss = h.matmul(w2.mT()).crossEntropy(on(b, tgt, 6), -100);
        loss.backward();
        return new Tensor[] {loss.reshape(1), w1.grad(), b1.grad(), w2.grad()};
    }
}
