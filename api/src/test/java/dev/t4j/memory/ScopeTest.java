package dev.t4j.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ScopeTest {
    @Test
    void closingAScopeReleasesItsTensorsAtOnce() {
        long before = Storage.liveBytes();
        Tensor t;
        try (Scope s = Scope.open("step")) {
            t = Tensor.zeros(256, 256);
            assertThat(Storage.liveBytes() - before).isEqualTo(256 * 256 * 4);
            assertThat(s.bytes()).isEqualTo(256 * 256 * 4);
        }
        assertThat(Storage.liveBytes()).isEqualTo(before);
        assertThatThrownBy(t::toFloatArray).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("scope 'step' closed");
        assertThat(t.toString()).contains("released");
    }

    @Test
    void keptTensorsMoveToTheParentScope() {
        try (Scope outer = Scope.open("outer")) {
            Tensor kept;
            try (Scope inner = Scope.open("inner")) {
                kept = inner.keep(Tensor.ones(3));
                Tensor.ones(5); // released with inner
            }
            assertThat(kept.toFloatArray()).containsExactly(1, 1, 1);
            assertThat(kept.storage().owner()).isSameAs(outer);
        }
    }

    @Test
    void parameterGradientsLiveInTheParametersScope() {
        try (Scope params = Scope.open("params")) {
            Tensor w = Tensor.ones(4).requiresGrad(true);
            try (Scope step = Scope.open("step")) {
                w.mul(w).sum().backward();
            }
            assertThat(w.grad().storage().owner()).isSameAs(params);
            assertThat(w.grad().toFloatArray()).containsExactly(2, 2, 2, 2);
        }
    }

    @Test
    void scopesMustCloseInOrder() {
        Scope a = Scope.open("a");
        Scope b = Scope.open("b");
        assertThatThrownBy(a::close).hasMessageContaining("'b' opened inside it is still open");
        b.close();
        a.close();
    }
}
