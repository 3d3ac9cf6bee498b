package dev.t4j.generation;

import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import java.util.function.LongConsumer;

/**
 * The token-by-token loop every autoregressive model shares: ask the model for the next-token logits, choose a
 * token by {@link LogitsProcessing}'s rules, append it, stream it, stop at a stop token. The model-specific part
 * (what is fed, what is cached) is the {@link Step}.
 */
public final class Decoding {
    private Decoding() {}

    /** A model's next-token logits after {@code seq[0, len)}; called inside a per-step memory scope. */
    @FunctionalInterface
    public interface Step {
        float[] logits(long[] seq, int len);
    }

    /**
     * Extends {@code seq} from {@code len} up to {@code seq.length} tokens, stopping after a token of
     * {@code c.stopTokens()} or {@code eos} (negative: none), and returns the new length. Each token goes to
     * {@code onToken} as soon as it is chosen; each step's logits, before processing, to {@code stepLogits} when
     * it is not null.
     */
    public static int decode(long[] seq, int len, GenerationConfig c, long eos, Step model, LongConsumer onToken,
            float[][] stepLogits) {
        Generator gen = new Generator(c.seed());
        for (int step = 0; len < seq.length; step++) {
            float[] logits;
            try (Scope s = Scope.open("step")) {
                logits = model.logits(seq, len);
            }
            if (stepLogits != null) {
                stepLogits[step] = logits.clone();
            }
            int next = LogitsProcessing.next(logits, seq, len, c, gen);
            seq[len++] = next;
            if (onToken != null) {
                onToken.accept(next);
            }
            if (next == eos || c.stopTokens().contains((long) next)) {
                break;
            }
        }
        return len;
    }
}
