package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class LayoutTest {
    private static void sameAddresses(Layout full, Layout merged) {
        assertThat(merged.numel()).isEqualTo(full.numel());
        for (long i = 0; i < full.numel(); i++) {
            for (int op = 0; op < full.strides.length; op++) {
                assertThat(merged.offsetOf(op, i)).as("operand %d element %d", op, i).isEqualTo(full.offsetOf(op, i));
            }
        }
    }

    @Test
    void contiguousTensorsBecomeOneDimension() {
        int[] shape = {2, 3, 4};
        int[][] strides = {{12, 4, 1}, {12, 4, 1}};
        Layout l = Layout.coalesced(shape, strides, new long[] {0, 5});
        assertThat(l.shape).containsExactly(24);
        sameAddresses(Layout.of(shape, strides, new long[] {0, 5}), l);
    }

    @Test
    void viewsKeepWhatTheyNeed() {
        int[] shape = {2, 1, 3, 4};
        // out contiguous; a transposed in the last two dims; b a row broadcast over everything but the last dim
        int[][] strides = {{12, 12, 4, 1}, {12, 99, 1, 3}, {0, 0, 0, 1}};
        Layout merged = Layout.coalesced(shape, strides, new long[] {0, 7, 2});
        assertThat(merged.shape.length).isLessThanOrEqualTo(3);
        sameAddresses(Layout.of(shape, strides, new long[] {0, 7, 2}), merged);
        // a broadcast bias [1, 4] over [6, 4] with a contiguous out
        int[][] bias = {{4, 1}, {0, 1}};
        sameAddresses(Layout.of(new int[] {6, 4}, bias, new long[] {0, 0}),
                Layout.coalesced(new int[] {6, 4}, bias, new long[] {0, 0}));
    }

    @Test
    void scalarsHaveRankZero() {
        Layout l = Layout.coalesced(new int[] {1, 1}, new int[][] {{1, 1}}, new long[] {3});
        assertThat(l.shape).isEmpty();
        assertThat(l.numel()).isEqualTo(1);
        assertThat(l.offsetOf(0, 0)).isEqualTo(3);
    }

    @Test
    void packsTheStructOfCommonCuh() {
        Layout l = Layout.of(new int[] {2, 3}, new int[][] {{3, 1}, {1, 2}}, new long[] {5, 6});
        try (Arena arena = Arena.ofConfined()) {
            var s = l.pack(arena);
            assertThat(s.byteSize()).isEqualTo(Layout.BYTES);
            assertThat(s.get(ValueLayout.JAVA_INT, 0)).isEqualTo(2); // rank
            assertThat(s.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(6); // numel
            assertThat(s.get(ValueLayout.JAVA_INT, 16 + 4)).isEqualTo(3); // shape[1]
            assertThat(s.get(ValueLayout.JAVA_LONG, 48 + 8 * (8 + 1))).isEqualTo(2); // stride[1][1]
            assertThat(s.get(ValueLayout.JAVA_LONG, 304 + 8)).isEqualTo(6); // offset[1]
        }
    }

    @Test
    void tooManyDimensionsIsAClearError() {
        int[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int[] strides = {1, 2, 4, 8, 16, 32, 64, 128, 256}; // reversed: nothing merges
        assertThatThrownBy(() -> Layout.coalesced(shape, new int[][] {strides}, new long[] {0}))
                .hasMessageContaining("at most 8 dimensions");
    }
}
