package dev.t4j.t5;

import dev.t4j.tensor.Generator;
import dev.t4j.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * T5's pretraining objective (Raffel et al. 2020, section 3.1.4): a fraction {@code noiseDensity} of the tokens,
 * in spans of mean length {@code meanSpanLength}, is removed from the input; each span is replaced by one
 * sentinel ({@code <extra_id_0>}, {@code <extra_id_1>}, ...), and the target lists each sentinel followed by the
 * span it replaced, then {@code </s>}. Span boundaries follow Hugging Face's random_spans_noise_mask: the noise
 * and non-noise token counts are each cut into the same number of spans at random, then interleaved starting
 * with non-noise.
 */
public final class SpanCorruption {
    /**
     * One corrupted example: encoder input and decoder target, both ending with </s>; {@code hidden} marks the
     * target positions that hold original tokens (not a sentinel or </s>, which a model gets right for free).
     */
    public record Example(long[] input, long[] target, boolean[] hidden) {}

    private final double noiseDensity;
    private final double meanSpanLength;
    private final int eosId;
    private final int firstSentinelId; // <extra_id_0>; later sentinels count down from it

    public SpanCorruption(double noiseDensity, double meanSpanLength, int eosId, int firstSentinelId) {
        if (!(noiseDensity > 0 && noiseDensity < 1) || !(meanSpanLength >= 1)) {
            throw new IllegalArgumentException("noise density must be in (0, 1) and mean span length >= 1, got "
                    + noiseDensity + " and " + meanSpanLength);
        }
        this.noiseDensity = noiseDensity;
        this.meanSpanLength = meanSpanLength;
        this.eosId = eosId;
        this.firstSentinelId = firstSentinelId;
    }

    /**
     * Span corruption with a tokenizer's {@code </s>} and sentinels, checking that the vocabulary holds every sentinel
     * an input of {@code inputLength} tokens can need, numbered downwards from {@code <extra_id_0>} as T5's are.
     */
    public static SpanCorruption forTokenizer(Tokenizer tok, double noiseDensity, double meanSpanLength, int inputLength) {
        int eos = tok.tokenToId("</s>");
        int first = tok.tokenToId("<extra_id_0>");
        if (eos < 0 || first < 0) {
            throw new IllegalArgumentException("the tokenizer has no " + (eos < 0 ? "</s>" : "<extra_id_0>")
                    + " token: span corruption needs a T5 vocabulary with sentinels");
        }
        SpanCorruption sc = new SpanCorruption(noiseDensity, meanSpanLength, eos, first);
        int needed = sc.noiseSpans(sc.lengthsFor(inputLength)[0]);
        for (int k = 1; k < needed; k++) {
            int id = tok.tokenToId("<extra_id_" + k + ">");
            if (id != first - k) {
                throw new IllegalArgumentException("inputs of " + inputLength + " tokens need " + needed
                        + " sentinels, but the vocabulary " + (id < 0 ? "has no <extra_id_" + k + ">"
                        : "numbers <extra_id_" + k + "> " + id + ", not " + (first - k)));
            }
        }
        return sc;
    }

    int noiseTokens(int length) {
        return Math.min(Math.max((int) Math.round(length * noiseDensity), 1), length - 1);
    }

    int noiseSpans(int length) {
        return Math.max((int) Math.round(noiseTokens(length) / meanSpanLength), 1);
    }

    /**
     * The raw length to cut from a token stream so that the corrupted input is exactly {@code inputLength} tokens
     * (with </s>), and the target length that goes with it: {raw, target}. As HF's
     * compute_input_and_target_lengths, so packed examples fill the model's input exactly.
     */
    public int[] lengthsFor(int inputLength) {
        int raw = inputLength;
        while (corruptedLengths(raw + 1)[0] <= inputLength) {
            raw++;
        }
        int[] lengths = corruptedLengths(raw);
        return new int[] {raw, lengths[1]};
    }

    /** {input length, target length} after corrupting {@code raw} tokens, both with </s>. */
    int[] corruptedLengths(int raw) {
        int noise = noiseTokens(raw);
        int spans = noiseSpans(raw);
        return new int[] {raw - noise + spans + 1, noise + spans + 1};
    }

    /** The noise mask of a sequence of {@code length} tokens. */
    public boolean[] noiseMask(int length, Generator gen) {
        if (length < 2) {
            throw new IllegalArgumentException("span corruption needs at least 2 tokens, got " + length);
        }
        int noise = noiseTokens(length);
        int spans = Math.min(noiseSpans(length), Math.min(noise, length - noise));
        int[] noiseLengths = segment(noise, spans, gen);
        int[] keepLengths = segment(length - noise, spans, gen);
        boolean[] mask = new boolean[length];
        int at = 0;
        for (int s = 0; s < spans; s++) {
            at += keepLengths[s];
            for (int k = 0; k < noiseLengths[s]; k++) {
                mask[at++] = true;
            }
        }
        return mask;
    }

    /** {@code items} split into {@code parts} positive lengths at random cut points. */
    private static int[] segment(int items, int parts, Generator gen) {
        int[] cuts = new int[items - 1]; // 1 marks a cut after that item
        for (int i = 0; i < parts - 1; i++) {
            cuts[i] = 1;
        }
        for (int i = cuts.length - 1; i > 0; i--) { // Fisher-Yates
            int j = gen.nextInt(i + 1);
            int t = cuts[i];
            cuts[i] = cuts[j];
            cuts[j] = t;
        }
        int[] lengths = new int[parts];
        int part = 0;
        for (int i = 0; i < items; i++) {
            lengths[part]++;
            if (i < cuts.length && cuts[i] == 1) {
                part++;
            }
        }
        return lengths;
    }

    /** Corrupts {@code tokens} (without </s>). */
    public Example apply(long[] tokens, Generator gen) {
        boolean[] mask = noiseMask(tokens.length, gen);
        long[] input = new long[tokens.length + 1];
        long[] target = new long[tokens.length + 1];
        boolean[] hidden = new boolean[tokens.length + 1];
        int ni = 0;
        int nt = 0;
        int sentinel = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (mask[i]) {
                if (i == 0 || !mask[i - 1]) {
                    long id = firstSentinelId - sentinel++;
                    input[ni++] = id;
                    target[nt++] = id;
                }
                hidden[nt] = true;
                target[nt++] = tokens[i];
            } else {
                input[ni++] = tokens[i];
            }
        }
        input[ni++] = eosId;
        target[nt++] = eosId;
        return new Example(Arrays.copyOf(input, ni), Arrays.copyOf(target, nt), Arrays.copyOf(hidden, nt));
    }
}
