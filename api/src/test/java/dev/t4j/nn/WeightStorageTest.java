package dev.t4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class WeightStorageTest {
    @Test
    void matricesAreStoredInTheChosenTypeAndComputeStaysFloat32() {
        try (Scope s = Scope.open("test")) {
            Linear f32 = new Linear(6, 4, true, Linear.Layout.OUT_IN, new Generator(1), 0.5);
            Linear bf16;
            Embedding table;
            try (var w = WeightStorage.set(DType.BF16)) {
                bf16 = new Linear(6, 4, true, Linear.Layout.OUT_IN, new Generator(1), 0.5);
                table = new Embedding(10, 4, new Generator(2), 0.5);
            }
            assertThat(WeightStorage.current()).isEqualTo(DType.F32); // restored
            assertThat(bf16.weight().dtype()).isEqualTo(DType.BF16);
            assertThat(bf16.bias().dtype()).isEqualTo(DType.F32); // vectors stay float32
            Tensor x = Tensor.randn(new Generator(3), 3, 6);
            try (var g = GradMode.noGrad()) {
                Tensor y = bf16.forward(x);
                assertThat(y.dtype()).isEqualTo(DType.F32);
                // the same as float32 weights rounded to bfloat16
                Tensor expected = x.matmul(f32.weight().detach().to(DType.BF16).to(DType.F32).mT()).add(f32.bias());
                assertThat(y.sub(expected).abs().max().item()).isLessThan(1e-5);
                Tensor rows = table.forward(Tensor.of(new long[] {1, 7}, 2));
                assertThat(rows.dtype()).isEqualTo(DType.F32);
                assertThat(rows.add(table.weight().narrow(0, 0, 2)).dtype()).isEqualTo(DType.F32); // promoted
            }
            assertThatThrownBy(() -> bf16.forward(x)).hasMessageContaining("BF16 weight [6, 4]")
                    .hasMessageContaining("for inference");
            assertThatThrownBy(() -> WeightStorage.parse("int8")).hasMessageContaining("float32, bfloat16 or float16");
        }
    }

    @Test
    void bfloat16ConvWeightsAreStoredOutputMajorBehindTheirInOutShape() {
        try (Scope s = Scope.open("test")) {
            Linear f32 = new Linear(6, 4, true, Linear.Layout.IN_OUT, new Generator(1), 0.5);
            Linear bf16;
            try (var w = WeightStorage.set(DType.BF16)) {
                bf16 = new Linear(6, 4, true, Linear.Layout.IN_OUT, new Generator(1), 0.5);
            }
            // Conv1D's [in, out] shape (names, loading, saving), each output's 6 weights contiguous underneath
            assertThat(bf16.weight().shape()).containsExactly(6, 4);
            assertThat(bf16.weight().strides()).containsExactly(1, 6);
            assertThat(bf16.weight().contiguous().strides()).containsExactly(4, 1);
            // the same generator gives the float32 layer's values, rounded
            assertThat(bf16.weight().to(DType.F32).toFloatArray())
                    .containsExactly(f32.weight().detach().to(DType.BF16).to(DType.F32).toFloatArray());
            try (var g = GradMode.noGrad()) {
                bf16.weight().copy_(f32.weight().mul(-1)); // what loading a checkpoint does
                f32.weight().copy_(f32.weight().mul(-1));
                for (int rows : new int[] {1, 3}) { // one row (a decoding step: dot products) and several
                    Tensor x = Tensor.randn(new Generator(3), rows, 6);
                    Tensor expected = x.matmul(f32.weight().to(DType.BF16).to(DType.F32)).add(f32.bias());
                    assertThat(bf16.forward(x).sub(expected).abs().max().item()).isLessThan(1e-5);
                }
            }
        }
    }
}
