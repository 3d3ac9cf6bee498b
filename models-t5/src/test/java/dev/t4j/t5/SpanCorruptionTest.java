package dev.t4j.t5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.tensor.Generator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpanCorruptionTest {
    static final int EOS = 1;
    static final int SENTINEL0 = 32099;
    final SpanCorruption sc = new SpanCorruption(0.15, 3.0, EOS, SENTINEL0);

    /** Puts each target span back in place of its sentinel. */
    static long[] reconstruct(long[] input, long[] target) {
        List<Long> out = new ArrayList<>();
        for (long id : input) {
            if (id == EOS) {
                break;
            }
            if (id > SENTINEL0 - 100 && id <= SENTINEL0) {
                int at = 0;
                while (target[at] != id) {
                    at++;
                }
                for (at++; at < target.length && target[at] != EOS && !(target[at] > SENTINEL0 - 100 && target[at] <= SENTINEL0);
                        at++) {
                    out.add(target[at]);
                }
            } else {
                out.add(id);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    void inputAndTargetReconstructTheOriginal() {
        Generator gen = new Generator(3);
        for (int n = 0; n < 500; n++) {
            int len = 2 + gen.nextInt(300);
            long[] tokens = new long[len];
            for (int i = 0; i < len; i++) {
                tokens[i] = 5 + gen.nextInt(30000);
            }
            var ex = sc.apply(tokens, gen);
            assertThat(ex.input()[ex.input().length - 1]).isEqualTo(EOS);
            assertThat(ex.target()[ex.target().length - 1]).isEqualTo(EOS);
            assertThat(ex.target()[0]).isEqualTo(SENTINEL0);
            assertThat(reconstruct(ex.input(), ex.target())).containsExactly(tokens);
        }
    }

    @Test
    void noiseDensityAndSpanLengthHoldOverManyExamples() {
        Generator gen = new Generator(4);
        long noise = 0;
        long total = 0;
        long spans = 0;
        for (int n = 0; n < 2000; n++) {
            boolean[] mask = sc.noiseMask(512, gen);
            for (int i = 0; i < mask.length; i++) {
                noise += mask[i] ? 1 : 0;
                spans += mask[i] && (i == 0 || !mask[i - 1]) ? 1 : 0;
            }
            total += mask.length;
        }
        assertThat((double) noise / total).isCloseTo(0.15, within(0.002));
        assertThat((double) noise / spans).isCloseTo(3.0, within(0.05));
    }

    @Test
    void lengthsArePlannedSoCorruptedInputsFillTheModelExactly() {
        int[] lengths = sc.lengthsFor(512);
        assertThat(lengths[0]).isEqualTo(568); // the raw length t5's own code computes for 512
        assertThat(lengths[1]).isEqualTo(114);
        Generator gen = new Generator(5);
        long[] tokens = new long[lengths[0]];
        java.util.Arrays.fill(tokens, 7);
        var ex = sc.apply(tokens, gen);
        assertThat(ex.input()).hasSize(512);
        assertThat(ex.target()).hasSize(lengths[1]);
    }
}
