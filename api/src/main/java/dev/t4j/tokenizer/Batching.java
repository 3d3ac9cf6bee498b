package dev.t4j.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Truncation and padding of a batch of encodings. */
final class Batching {
    private Batching() {}

    static List<Encoding> encodeBatch(Tokenizer tok, List<String> texts, int maxLength, boolean truncate,
            boolean padLeft) {
        List<Encoding> encoded = new ArrayList<>();
        int longest = 0;
        for (int i = 0; i < texts.size(); i++) {
            Encoding e = tok.encode(texts.get(i));
            if (maxLength > 0 && e.length() > maxLength) {
                if (!truncate) {
                    throw new IllegalArgumentException("text " + i + " has " + e.length() + " tokens, more than the "
                            + "maximum of " + maxLength + "; ask for truncation to cut it");
                }
                e = truncate(e, maxLength);
            }
            encoded.add(e);
            longest = Math.max(longest, e.length());
        }
        List<Encoding> out = new ArrayList<>();
        for (Encoding e : encoded) {
            out.add(pad(e, longest, tok.padId(), padLeft));
        }
        return out;
    }

    /** Keeps the first {@code n} tokens (special tokens at the end are cut like any other, as HF's default). */
    static Encoding truncate(Encoding e, int n) {
        return new Encoding(Arrays.copyOf(e.ids(), n), Arrays.copyOf(e.tokens(), n), Arrays.copyOf(e.typeIds(), n),
                Arrays.copyOf(e.attentionMask(), n), Arrays.copyOf(e.offsets(), n));
    }

    static Encoding pad(Encoding e, int length, int padId, boolean left) {
        int extra = length - e.length();
        if (extra <= 0) {
            return e;
        }
        int[] ids = new int[length];
        String[] tokens = new String[length];
        int[] types = new int[length];
        int[] mask = new int[length];
        int[][] offsets = new int[length][];
        int at = left ? extra : 0;
        for (int i = 0; i < length; i++) {
            ids[i] = padId;
            tokens[i] = "<pad>";
            offsets[i] = new int[] {-1, -1};
        }
        System.arraycopy(e.ids(), 0, ids, at, e.length());
        System.arraycopy(e.tokens(), 0, tokens, at, e.length());
        System.arraycopy(e.typeIds(), 0, types, at, e.length());
        System.arraycopy(e.attentionMask(), 0, mask, at, e.length());
        System.arraycopy(e.offsets(), 0, offsets, at, e.length());
        return new Encoding(ids, tokens, types, mask, offsets);
    }
}
