package dev.t4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.tensor.Generator;
import org.junit.jupiter.api.Test;

class ExampleSamplerTest {
    @Test
    void epochsByDefaultAndRunsOfSimilarLengthWhenAsked() {
        ExampleSampler epochs = new ExampleSampler(6);
        assertThat(epochs.next(new Generator(1), 6)).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
        assertThat(epochs.state()).hasSize(4);

        int[] lengths = {5, 1, 9, 2, 8, 3};
        ExampleSampler grouped = new ExampleSampler(6);
        grouped.groupByLength(lengths, 2);
        LengthGroupedBatches same = new LengthGroupedBatches(lengths, 2);
        assertThat(grouped.next(new Generator(3), 2)).isEqualTo(same.draw(new Generator(3), 2));
        assertThat(grouped.state()).isEmpty();
        grouped.restore(new long[0]);
        assertThatThrownBy(() -> grouped.restore(epochs.state())).hasMessageContaining("groups batches by length");
    }
}
