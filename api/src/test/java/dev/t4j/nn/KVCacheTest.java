package dev.t4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class KVCacheTest {
    @Test
    void appendsStepByStepReordersRowsAndRefusesOverflow() {
        try (Scope s = Scope.open("test")) {
            KVCache cache = new KVCache(2, 2, 3, 5, 4);
            Tensor k1 = Tensor.randn(new Generator(1), 2, 3, 3, 4);
            Tensor v1 = Tensor.randn(new Generator(2), 2, 3, 3, 4);
            Tensor[] kv = cache.append(1, k1, v1);
            assertThat(kv[0].shape()).containsExactly(2, 3, 3, 4);
            assertThat(kv[1].sub(v1).abs().max().item()).isZero();
            cache.advance(3);
            Tensor k2 = Tensor.randn(new Generator(3), 2, 3, 1, 4);
            kv = cache.append(1, k2, k2);
            assertThat(kv[0].shape()).containsExactly(2, 3, 4, 4); // cached 3 + new 1
            assertThat(kv[0].narrow(2, 0, 3).sub(k1).abs().max().item()).isZero();
            assertThat(kv[0].narrow(2, 3, 1).sub(k2).abs().max().item()).isZero();
            cache.advance(1);
            assertThat(cache.length()).isEqualTo(4);
            cache.reorder(new int[] {1, 1}); // both rows continue beam 1
            Tensor row = cache.append(1, k2.narrow(2, 0, 0), k2.narrow(2, 0, 0))[0];
            assertThat(row.select(0, 0).sub(row.select(0, 1)).abs().max().item()).isZero();
            assertThatThrownBy(() -> cache.checkRoom(2)).hasMessageContaining("holds 5 tokens; 6 were needed");
        }
    }
}
