package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.tensor.DType;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * What the CPU runtime keeps of attention's forward pass for its backward pass: only up to its most keys, and only in
 * memory of the shape it asks for; any other is refused with both shapes named, before anything is written.
 */
class AttentionSavedTest {
    private final CpuBackend cpu = new CpuBackend(1);

    @Test
    void keepsOneFloatAKeyAndTheSumUpToItsMostKeys() {
        assertThat(cpu.attentionSavedPerQuery(FusedAttention.SAVED_MAX_KEYS, 64))
                .isEqualTo(FusedAttention.SAVED_MAX_KEYS + 1);
        assertThat(cpu.attentionSavedPerQuery(FusedAttention.SAVED_MAX_KEYS + 1, 64)).isZero();
    }

    @Test
    void refusesSavedMemoryOfAnotherShape() {
        Generator gen = new Generator(3);
        Tensor q = Tensor.randn(gen, 2, 3, 5, 8).to(cpu);
        Tensor k = Tensor.randn(gen, 2, 3, 7, 8).to(cpu);
        Tensor v = Tensor.randn(gen, 2, 3, 7, 8).to(cpu);
        Tensor out = Tensor.empty(cpu, DType.F32, 2, 3, 5, 8);
        Tensor lse = Tensor.empty(cpu, DType.F32, 2, 3, 5);
        Tensor wrong = Tensor.empty(cpu, DType.F32, 2, 3, 4, 8); // one query short
        assertThatThrownBy(() -> cpu.attention(q, k, v, null, 1, null, out, lse, wrong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3, 4, 8]")
                .hasMessageContaining("[2, 3, 5, 8]");
    }
}
