package dev.t4j.bert;

import dev.t4j.tensor.Generator;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * BERT's masked-language-model corruption: 15 % of the tokens that are neither special nor padding are chosen;
 * of those 80 % become [MASK], 10 % a random token, 10 % stay; the labels hold the original token at chosen
 * positions and -100 everywhere else. With whole-word masking a word's WordPiece continuations ("##...") are
 * chosen together with its first piece.
 */
public final class MaskedLanguageModeling {
    /** Corrupted inputs and labels for one sequence. */
    public record Masked(long[] inputs, long[] labels) {}

    private final double probability;
    private final int maskId;
    private final int vocabSize;
    private final IntPredicate special;
    private final IntPredicate continuation;
    private final boolean wholeWord;

    /**
     * @param special ids never chosen ([CLS], [SEP], [PAD]...)
     * @param continuation ids of "##" pieces (only used with whole-word masking)
     */
    public MaskedLanguageModeling(double probability, int maskId, int vocabSize, IntPredicate special,
            IntPredicate continuation, boolean wholeWord) {
        if (!(probability > 0 && probability < 1)) {
            throw new IllegalArgumentException("mask probability must be in (0, 1), got " + probability);
        }
        this.probability = probability;
        this.maskId = maskId;
        this.vocabSize = vocabSize;
        this.special = special;
        this.continuation = continuation;
        this.wholeWord = wholeWord;
    }

    public Masked apply(long[] ids, Generator gen) {
        long[] inputs = ids.clone();
        long[] labels = new long[ids.length];
        java.util.Arrays.fill(labels, -100);
        // units: single tokens, or whole words (a first piece and its continuations)
        List<int[]> units = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (special.test((int) ids[i])) {
                continue;
            }
            if (wholeWord && !units.isEmpty() && continuation.test((int) ids[i]) && units.getLast()[1] == i) {
                units.getLast()[1] = i + 1;
            } else {
                units.add(new int[] {i, i + 1});
            }
        }
        for (int[] u : units) {
            if (gen.nextDouble() >= probability) {
                continue;
            }
            for (int i = u[0]; i < u[1]; i++) {
                labels[i] = ids[i];
                double r = gen.nextDouble();
                if (r < 0.8) {
                    inputs[i] = maskId;
                } else if (r < 0.9) {
                    inputs[i] = gen.nextInt(vocabSize);
                }
            }
        }
        return new Masked(inputs, labels);
    }
}
