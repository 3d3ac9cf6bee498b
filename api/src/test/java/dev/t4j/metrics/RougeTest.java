package dev.t4j.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** ROUGE on examples worked by hand. */
class RougeTest {
    @Test
    void workedExample() {
        // reference: the cat sat on the mat (6 tokens); prediction: the cat was on the mat (6 tokens)
        // unigram overlap: the x2, cat, on, mat = 5 -> P = R = 5/6
        // bigrams: ref {the cat, cat sat, sat on, on the, the mat}, pred {the cat, cat was, was on, on the, the mat}
        //          overlap 3 -> P = R = 3/5
        // LCS: the cat on the mat = 5 -> P = R = 5/6
        Rouge.Scores s = Rouge.score("The cat was on the mat.", "the cat sat on the mat");
        assertThat(s.rouge1()).isCloseTo(5.0 / 6, within(1e-12));
        assertThat(s.rouge2()).isCloseTo(3.0 / 5, within(1e-12));
        assertThat(s.rougeL()).isCloseTo(5.0 / 6, within(1e-12));
    }

    @Test
    void unequalLengthsAndClippedCounts() {
        // pred: the the the (3), ref: the cat (2): clipped overlap 1 -> P = 1/3, R = 1/2, F = 2/5
        assertThat(Rouge.score("the the the", "the cat").rouge1()).isCloseTo(0.4, within(1e-12));
        // LCS of "a b c d" and "a c e d" is "a c d" = 3 -> P = R = 3/4
        assertThat(Rouge.score("a b c d", "a c e d").rougeL()).isCloseTo(0.75, within(1e-12));
        assertThat(Rouge.score("", "something").rouge1()).isZero();
        assertThat(Rouge.tokens("It's 3:30 -- U.S.A.!")).containsExactly("it", "s", "3", "30", "u", "s", "a");
        Rouge.Scores mean = Rouge.mean(List.of("a b", "x y"), List.of("a b", "p q"));
        assertThat(mean.rouge1()).isCloseTo(0.5, within(1e-12));
    }
}
