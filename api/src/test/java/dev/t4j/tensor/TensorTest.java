package dev.t4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.autograd.GradMode;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void viewsShareStorageAndCopyNothing() {
        Tensor x = Tensor.arange(0, 24, 1).reshape(2, 3, 4);
        Tensor t = x.transpose(0, 2);
        assertThat(t.storage()).isSameAs(x.storage());
        assertThat(t.shape()).containsExactly(4, 3, 2);
        assertThat(t.isContiguous()).isFalse();
        assertThat(t.get(3, 1, 1)).isEqualTo(x.get(1, 1, 3));
        Tensor n = x.narrow(2, 1, 2);
        assertThat(n.storage()).isSameAs(x.storage());
        assertThat(n.toFloatArray()).containsExactly(1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22);
        Tensor e = Tensor.of(new float[] {1, 2, 3}, 3, 1).expand(3, 4);
        assertThat(e.strides()).containsExactly(1, 0);
        assertThat(e.toFloatArray()).containsExactly(1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        assertThat(x.reshape(6, -1).shape()).containsExactly(6, 4);
    }

    @Test
    void reshapeIsAViewWhereStridesAllowAndACopyWhereNot() {
        Tensor qkv = Tensor.arange(0, 2 * 3 * 12, 1).reshape(2, 3, 12);
        // GPT-2's query columns split into heads: dims contiguous among themselves, so a view
        Tensor q = qkv.narrow(2, 4, 4).reshape(2, 3, 2, 2);
        assertThat(q.storage()).isSameAs(qkv.storage());
        assertThat(q.strides()).containsExactly(36, 12, 2, 1);
        assertThat(q.get(1, 2, 1, 0)).isEqualTo(qkv.get(1, 2, 6));
        Tensor rows = qkv.narrow(2, 4, 4).reshape(6, 4); // batch and time merge: row stride 12 throughout
        assertThat(rows.storage()).isSameAs(qkv.storage());
        assertThat(rows.toFloatArray()).containsExactly(qkv.narrow(2, 4, 4).contiguous().toFloatArray());
        // a transpose's dims do not continue each other: merging them copies, in the logical order
        Tensor t = Tensor.arange(0, 6, 1).reshape(2, 3).transpose(0, 1);
        Tensor flat = t.reshape(6);
        assertThat(flat.storage()).isNotSameAs(t.storage());
        assertThat(flat.toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5);
        // but splitting one of them is a view again, and size-1 dims go anywhere
        assertThat(t.reshape(3, 2, 1).storage()).isSameAs(t.storage());
        assertThat(t.reshape(1, 3, 1, 2).toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5);
        // the gradient of a viewed reshape lands on the narrowed columns only
        Tensor w = Tensor.arange(0, 24, 1).reshape(2, 12).requiresGrad(true);
        w.narrow(1, 2, 6).reshape(2, 3, 2).mul(Tensor.arange(0, 12, 1).reshape(2, 3, 2)).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0,
                0, 0, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0);
    }

    @Test
    void indexAddAddsSlicesAtTheirIndicesInPlace() {
        Tensor dst = Tensor.zeros(4, 2);
        dst.indexAdd_(0, Tensor.of(new long[] {1, 3, 1}, 3), Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        assertThat(dst.toFloatArray()).containsExactly(0, 0, 6, 8, 0, 0, 3, 4);
        // along columns, into a transposed view: its base sees the sums
        Tensor base = Tensor.zeros(2, 4);
        base.transpose(0, 1).indexAdd_(1, Tensor.of(new long[] {0}, 1), Tensor.of(new float[] {1, 2, 3, 4}, 4, 1));
        assertThat(base.toFloatArray()).containsExactly(1, 2, 3, 4, 0, 0, 0, 0);
        assertThatThrownBy(() -> dst.indexAdd_(0, Tensor.of(new long[] {0, 1}, 2), Tensor.zeros(3, 2)))
                .hasMessageContaining("indexAdd_: source [3, 2] should be [2, 2]");
        assertThatThrownBy(() -> dst.indexAdd_(0, Tensor.of(new long[] {4}, 1), Tensor.zeros(1, 2)))
                .hasMessageContaining("indexAdd_").hasMessageContaining("4");
    }

    @Test
    void broadcastingArithmetic() {
        Tensor a = Tensor.of(new float[] {1, 2, 3}, 3, 1);
        Tensor b = Tensor.of(new float[] {10, 20}, 2);
        assertThat(a.add(b).shape()).containsExactly(3, 2);
        assertThat(a.add(b).toFloatArray()).containsExactly(11, 21, 12, 22, 13, 23);
        assertThat(a.mul(2).sub(1).toFloatArray()).containsExactly(1, 3, 5);
    }

    @Test
    void reductionsMatchHandComputedValues() {
        Tensor x = Tensor.of(new float[] {1, 5, 3, 4, 2, 6}, 2, 3);
        assertThat(x.sum().item()).isEqualTo(21);
        assertThat(x.sum(0, false).toFloatArray()).containsExactly(5, 7, 9);
        assertThat(x.mean(1, false).toFloatArray()).containsExactly(3, 4);
        assertThat(x.max(1, false).toFloatArray()).containsExactly(5, 6);
        assertThat(x.argmax(1, false).toLongArray()).containsExactly(1, 2);
        assertThat(x.argmin(0, false).toLongArray()).containsExactly(0, 1, 0);
        assertThat(x.var(1, false, 0).toFloatArray()).containsExactly(8f / 3, 8f / 3);
        assertThat(x.var(1, false, 1).toFloatArray()).containsExactly(4, 4);
    }

    @Test
    void matmulHandlesTransposedOperandsAndBatches() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
        assertThat(a.matmul(b).toFloatArray()).containsExactly(4, 5, 10, 11);
        assertThat(a.matmul(a.mT()).toFloatArray()).containsExactly(14, 32, 32, 77);
        Tensor batch = Tensor.stack(0, a, a.mul(2));
        assertThat(batch.matmul(b).shape()).containsExactly(2, 2, 2);
        assertThat(batch.matmul(b).toFloatArray()).containsExactly(4, 5, 10, 11, 8, 10, 20, 22);
    }

    @Test
    void neuralNetworkOpsMatchDefinitions() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 1, 3);
        float[] sm = x.softmax(-1).toFloatArray();
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertThat(sm[2]).isCloseTo((float) (Math.exp(3) / z), within(1e-6f));
        assertThat(x.logSoftmax(-1).toFloatArray()[0]).isCloseTo((float) (1 - Math.log(z)), within(1e-5f));
        float[] ln = x.layerNorm(null, null, 0).toFloatArray();
        assertThat(ln[0]).isCloseTo((float) (-1 / Math.sqrt(2.0 / 3)), within(1e-5f));
        float[] rms = x.rmsNorm(null, 0).toFloatArray();
        assertThat(rms[2]).isCloseTo((float) (3 / Math.sqrt(14.0 / 3)), within(1e-5f));
        Tensor logits = Tensor.of(new float[] {2, 0, 0, 0, 3, 0}, 2, 3);
        double expected = (Math.log(Math.exp(2) + 2) - 2) / 1; // second row ignored
        assertThat(logits.crossEntropy(Tensor.of(new long[] {0, -100}, 2), -100).item())
                .isCloseTo(expected, within(1e-6));
        assertThat(logits.crossEntropy(Tensor.of(new long[] {-100, -100}, 2), -100).item()).isNaN();
        assertThat(Tensor.of(new float[] {-1, 0, 2}, 3).gelu().toFloatArray()[2])
                .isCloseTo((float) (2 * 0.5 * (1 + 0.9544997361036416)), within(1e-6f));
    }

    @Test
    void dropoutIsSeededAndScalesSurvivors() {
        Tensor x = Tensor.ones(1000);
        float[] a = x.dropout(0.25, new Generator(7), true).toFloatArray();
        float[] b = x.dropout(0.25, new Generator(7), true).toFloatArray();
        assertThat(a).containsExactly(b);
        int zeros = 0;
        for (float v : a) {
            assertThat(v).isIn(0f, 1f / 0.75f);
            zeros += v == 0 ? 1 : 0;
        }
        assertThat(zeros).isBetween(200, 300);
        assertThat(x.dropout(0.25, new Generator(7), false)).isSameAs(x);
    }

    @Test
    void halfPrecisionStorageConverts() {
        Tensor x = Tensor.of(new float[] {1.5f, -2.25f, 3.1415927f, 65504f}, 4);
        assertThat(x.to(DType.BF16).to(DType.F32).toFloatArray()).containsExactly(1.5f, -2.25f, 3.140625f, 65536f);
        assertThat(x.to(DType.F16).to(DType.F32).toFloatArray()).containsExactly(1.5f, -2.25f, 3.140625f, 65504f);
        assertThat(DType.floatToBf16(Float.NaN)).isNotZero();
    }

    @Test
    void badInputNamesShapesAndIndices() {
        Tensor a = Tensor.zeros(2, 3);
        assertThatThrownBy(() -> a.add(Tensor.zeros(4))).hasMessageContaining("[2, 3]").hasMessageContaining("[4]");
        assertThatThrownBy(() -> a.matmul(Tensor.zeros(2, 3))).hasMessageContaining("[2, 3]")
                .hasMessageContaining("do not chain");
        assertThatThrownBy(() -> a.reshape(5, -1)).hasMessageContaining("cannot reshape");
        assertThatThrownBy(() -> Tensor.embedding(Tensor.zeros(4, 2), Tensor.of(new long[] {1, 4}, 2)))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("index 4 at position 1");
        assertThatThrownBy(() -> a.add(Tensor.zeros(DType.I64, 2, 3))).hasMessageContaining("F32")
                .hasMessageContaining("I64");
        assertThatThrownBy(() -> a.crossEntropy(Tensor.of(new long[] {0, 7}, 2), -100))
                .hasMessageContaining("target 7 at position 1");
        assertThatThrownBy(() -> a.narrow(1, 2, 2)).hasMessageContaining("outside size 3");
        assertThatThrownBy(() -> a.sum(2, false)).hasMessageContaining("dim 2 out of range");
        assertThatThrownBy(() -> Tensor.zeros(-1, 2)).hasMessageContaining("negative size");
    }

    @Test
    void inPlaceOpsRefuseTrackedTensorsUnlessNoGrad() {
        Tensor w = Tensor.ones(3).requiresGrad(true);
        assertThatThrownBy(() -> w.mul_(2)).hasMessageContaining("GradMode.noGrad");
        try (var g = GradMode.noGrad()) {
            w.mul_(2).add_(Tensor.ones(3), 0.5);
        }
        assertThat(w.toFloatArray()).containsExactly(2.5f, 2.5f, 2.5f);
    }
}
