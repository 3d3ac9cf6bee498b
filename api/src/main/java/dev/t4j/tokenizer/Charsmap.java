package dev.t4j.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SentencePiece's precompiled character map (NormalizerSpec.precompiled_charsmap, and tokenizer.json's "Precompiled"
 * normalizer): a darts-clone double-array trie over UTF-8 byte strings, whose values index NUL-terminated
 * replacement strings in a pool. Blob layout: trie size in bytes (uint32 LE), the trie's units, then the pool.
 */
final class Charsmap {
    private final byte[] trie; // darts-clone units, little-endian uint32
    private final byte[] pool;

    /** Parses a blob; {@code source} names the file in errors. */
    Charsmap(byte[] blob, String source) {
        int trieSize = blob.length < 4 ? -1 : ByteBuffer.wrap(blob, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (trieSize < 0 || trieSize + 4 > blob.length || trieSize % 4 != 0) {
            throw new IllegalArgumentException(source + ": precompiled_charsmap has a bad trie size " + trieSize);
        }
        trie = java.util.Arrays.copyOfRange(blob, 4, 4 + trieSize);
        pool = java.util.Arrays.copyOfRange(blob, 4 + trieSize, blob.length);
    }

    private int unit(int i) {
        int at = i * 4;
        if (at < 0 || at + 4 > trie.length) {
            return 0;
        }
        return (trie[at] & 0xff) | (trie[at + 1] & 0xff) << 8 | (trie[at + 2] & 0xff) << 16 | (trie[at + 3] & 0xff) << 24;
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }

    /**
     * darts-clone common-prefix search from {@code pos}: {length, value} of the longest match ({@code longest}) or
     * of the shortest, or null when no prefix is in the map.
     */
    int[] prefixMatch(byte[] key, int pos, boolean longest) {
        int nodePos = 0;
        int unit = unit(nodePos);
        nodePos ^= offset(unit);
        int[] found = null;
        for (int i = pos; i < key.length; i++) {
            int c = key[i] & 0xff;
            if (c == 0) {
                break;
            }
            nodePos ^= c;
            unit = unit(nodePos);
            if ((unit & ((1 << 31) | 0xff)) != c) {
                break;
            }
            nodePos ^= offset(unit);
            if (((unit >>> 8) & 1) == 1) {
                found = new int[] {i - pos + 1, unit(nodePos) & 0x7fffffff};
                if (!longest) {
                    return found;
                }
            }
        }
        return found;
    }

    /** The NUL-terminated replacement at pool index {@code value}. */
    byte[] replacement(int value) {
        int end = value;
        while (end < pool.length && pool[end] != 0) {
            end++;
        }
        return java.util.Arrays.copyOfRange(pool, value, end);
    }
}
