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

    @Test
    void releasedBlocksAreReusedFromThePool() {
        try (Scope s = Scope.open("first")) {
            Tensor.zeros(1000, 300);
        }
        long pooled = HostStorage.pooledBytes();
        assertThat(pooled).isGreaterThanOrEqualTo(1000 * 300 * 4);
        try (Scope s = Scope.open("second")) {
            Tensor.zeros(1000, 299); // the same size class: served from the pool, not the C allocator
            assertThat(HostStorage.pooledBytes()).isLessThan(pooled);
        }
    }

    @Test
    void sizeClassesWasteAtMostAnEighth() {
        for (long b : new long[] {1, 63, 64, 65, 4095, 4096, 4097, 100_000, 1 << 20, (1 << 20) + 1, 123_456_789}) {
            long c = HostStorage.sizeClass(b);
            assertThat(c).as("class of %d", b).isGreaterThanOrEqualTo(b).isLessThanOrEqualTo(b + b / 8 + 64);
            assertThat(c % 64).isZero();
        }
    }

    @Test
    void blocksOfHugePagesAreAlignedToThemAndHoldTheirValues() {
        long bytes = (5L << 20) + 12_345; // past two huge pages, not a multiple of one
        try (Scope s = Scope.open("huge")) {
            HostStorage storage = HostStorage.allocate(bytes);
            var seg = storage.segment();
            assertThat(seg.byteSize()).isEqualTo(bytes);
            long alignment = System.getProperty("os.name", "").startsWith("Linux") ? 2L << 20 : HostStorage.ALIGNMENT;
            assertThat(seg.address() % alignment).isZero();
            for (long i = 0; i < bytes / 4; i += 4099) { // every page, and the last value
                seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i, (int) i);
            }
            seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, bytes / 4 - 1, -7);
            for (long i = 0; i < bytes / 4; i += 4099) {
                assertThat(seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i)).isEqualTo((int) i);
            }
            assertThat(seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, bytes / 4 - 1)).isEqualTo(-7);
        }
    }
}
