package dev.t4j.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.memory.Scope;
import org.junit.jupiter.api.Test;

class DropoutMaskTest {
    @Test
    void dropsTheRequestedShareOfProbabilitiesInEveryRowAndColumnRange() {
        for (double p : new double[] {0.1, 0.5}) {
            DropoutMask d = new DropoutMask(p, 42);
            int rows = 2_000;
            int keys = 1_000;
            long dropped = 0;
            long firstKeys = 0; // keys 0-15 of every row: a vector's lanes, where a weak hash would show stripes
            long evenRows = 0;
            for (long row = 0; row < rows; row++) {
                for (int key = 0; key < keys; key++) {
                    if (!d.keeps(row, key)) {
                        dropped++;
                        firstKeys += key < 16 ? 1 : 0;
                        evenRows += row % 2 == 0 ? 1 : 0;
                    }
                }
            }
            double n = (double) rows * keys;
            assertThat(dropped / n).as("share dropped at p = %s", p).isCloseTo(p, org.assertj.core.data.Offset.offset(
                    0.002));
            assertThat(firstKeys / (rows * 16.0)).as("share of keys 0-15 dropped").isCloseTo(p,
                    org.assertj.core.data.Offset.offset(0.015));
            assertThat(evenRows / (n / 2)).as("share dropped in even rows").isCloseTo(p,
                    org.assertj.core.data.Offset.offset(0.003));
        }
    }

    @Test
    void theMaskIsAFunctionOfSeedRowAndKeyOnlyAndNeighboursAreIndependent() {
        DropoutMask a = new DropoutMask(0.3, 1);
        DropoutMask again = new DropoutMask(0.3, 1);
        DropoutMask other = new DropoutMask(0.3, 2);
        int otherSeed = 0;
        int diagonal = 0; // (row, key) against (row - 1, key - 1): a shifted copy would always agree
        int next = 0; // (row, key) against (row, key + 1)
        int n = 0;
        for (long row = 1; row < 201; row++) {
            for (int key = 1; key < 201; key++, n++) {
                boolean kept = a.keeps(row, key);
                assertThat(again.keeps(row, key)).isEqualTo(kept);
                otherSeed += other.keeps(row, key) == kept ? 1 : 0;
                diagonal += a.keeps(row - 1, key - 1) == kept ? 1 : 0;
                next += a.keeps(row, key + 1) == kept ? 1 : 0;
            }
        }
        // two independent draws at p = 0.3 agree on p^2 + (1 - p)^2 = 58 % of the probabilities
        assertThat(otherSeed / (double) n).as("agreement with another seed").isBetween(0.55, 0.61);
        assertThat(diagonal / (double) n).as("agreement along a diagonal").isBetween(0.55, 0.61);
        assertThat(next / (double) n).as("agreement with the next key").isBetween(0.55, 0.61);
    }

    @Test
    void theMaterialisedMaskHoldsTheKeptProbabilitiesScaled() {
        DropoutMask d = new DropoutMask(0.25, 5);
        try (Scope s = Scope.open("mask")) {
            float[] m = d.tensor(Backends.host(), 2, 3, 4, 37).toFloatArray();
            for (int row = 0; row < 2 * 3 * 4; row++) {
                for (int key = 0; key < 37; key++) {
                    float want = d.keeps(row, key) ? (float) (1 / 0.75) : 0f;
                    assertThat(m[row * 37 + key]).as("row %d key %d", row, key).isEqualTo(want);
                }
            }
        }
    }

    @Test
    void aProbabilityOutsideTheOpenUnitIntervalIsRefused() {
        assertThatThrownBy(() -> new DropoutMask(0, 1)).hasMessageContaining("(0, 1) for a mask, got 0.0");
        assertThatThrownBy(() -> new DropoutMask(1, 1)).hasMessageContaining("(0, 1) for a mask, got 1.0");
    }
}
