package dev.t4j.tokenizer;

/**
 * The result of encoding one text (or pair): token ids, the tokens, token type ids (0 for the first sequence,
 * 1 for the second), the attention mask (1 real, 0 padding) and each token's [start, end) character offsets in
 * the original text ({-1, -1} for added special tokens and padding).
 */
public record Encoding(int[] ids, String[] tokens, int[] typeIds, int[] attentionMask, int[][] offsets) {
    public int length() {
        return ids.length;
    }

    public long[] idsAsLongs() {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }
}
