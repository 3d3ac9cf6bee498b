package dev.t4j.tokenizer;

/**
 * GPT-2's reversible map from bytes to printable chars: printable Latin-1 bytes map to themselves, the other 68
 * to U+0100 onwards, so any byte string becomes a string BPE can work on, and back.
 */
final class ByteLevelAlphabet {
    static final char[] BYTE_TO_CHAR = new char[256];
    static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelAlphabet() {}
}
