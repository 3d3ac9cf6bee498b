package dev.t4j.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.tensor.Generator;
import org.junit.jupiter.api.Test;

/** The masking statistics over many sequences: 15 % chosen, of those 80 / 10 / 10; specials never touched. */
class MaskedLanguageModelingTest {
    static final int CLS = 101;
    static final int SEP = 102;
    static final int PAD = 0;
    static final int MASK = 103;

    @Test
    void chosenShareAndReplacementSplitHoldOverManySequences() {
        var mlm = new MaskedLanguageModeling(0.15, MASK, 30522, id -> id == CLS || id == SEP || id == PAD, id -> false, false);
        Generator gen = new Generator(1);
        long eligible = 0;
        long chosen = 0;
        long masked = 0;
        long random = 0;
        long kept = 0;
        for (int s = 0; s < 4000; s++) {
            long[] ids = new long[64];
            ids[0] = CLS;
            for (int i = 1; i < 50; i++) {
                ids[i] = 1000 + gen.nextInt(20000);
            }
            ids[50] = SEP; // the rest is padding
            var m = mlm.apply(ids, gen);
            for (int i = 0; i < ids.length; i++) {
                boolean specialOrPad = ids[i] == CLS || ids[i] == SEP || ids[i] == PAD;
                if (specialOrPad) {
                    assertThat(m.labels()[i]).isEqualTo(-100);
                    assertThat(m.inputs()[i]).isEqualTo(ids[i]);
                    continue;
                }
                eligible++;
                if (m.labels()[i] == -100) {
                    assertThat(m.inputs()[i]).isEqualTo(ids[i]);
                    continue;
                }
                chosen++;
                assertThat(m.labels()[i]).isEqualTo(ids[i]);
                if (m.inputs()[i] == MASK) {
                    masked++;
                } else if (m.inputs()[i] == ids[i]) {
                    kept++;
                } else {
                    random++;
                }
            }
        }
        assertThat((double) chosen / eligible).isCloseTo(0.15, within(0.005));
        assertThat((double) masked / chosen).isCloseTo(0.80, within(0.01));
        assertThat((double) random / chosen).isCloseTo(0.10, within(0.01));
        assertThat((double) kept / chosen).isCloseTo(0.10, within(0.01));
    }

    @Test
    void wholeWordMaskingTakesContinuationsWithTheirWord() {
        // ids >= 5000 play "##" pieces
        var mlm = new MaskedLanguageModeling(0.5, MASK, 30522, id -> id == CLS || id == SEP, id -> id >= 5000, true);
        Generator gen = new Generator(2);
        for (int s = 0; s < 500; s++) {
            long[] ids = {CLS, 1200, 5001, 5002, 1300, 1400, 5003, SEP};
            var m = mlm.apply(ids, gen);
            assertThat(m.labels()[1] == -100).isEqualTo(m.labels()[2] == -100).isEqualTo(m.labels()[3] == -100);
            assertThat(m.labels()[5] == -100).isEqualTo(m.labels()[6] == -100);
        }
    }
}
