package dev.t4j.tokenizer;

/**
 * A vocabulary's pieces as a trie over UTF-16 chars, so that a Viterbi pass finds every piece starting at a
 * position by walking forward one char at a time (as SentencePiece's darts trie does) instead of hashing a new
 * substring for each candidate end. Edges live in one open-addressing table keyed by (node, char).
 */
final class PieceTrie {
    private long[] keys; // (node << 16 | char) + 1; 0 marks an empty slot
    private int[] targets;
    private int[] pieceAt = new int[1024]; // node -> piece id ending there, or -1
    private int nodes = 1; // node 0 is the root
    private int edges;

    PieceTrie(int expectedChars) {
        int capacity = Integer.highestOneBit(Math.max(16, expectedChars * 2) - 1) << 1;
        keys = new long[capacity];
        targets = new int[capacity];
        java.util.Arrays.fill(pieceAt, -1);
    }

    static int root() {
        return 0;
    }

    /** Adds {@code piece} with {@code id}, unless the trie already holds that piece (the first id wins). */
    void add(String piece, int id) {
        int node = root();
        for (int k = 0; k < piece.length(); k++) {
            int next = child(node, piece.charAt(k));
            if (next < 0) {
                next = newNode();
                put(node, piece.charAt(k), next);
            }
            node = next;
        }
        if (pieceAt[node] < 0) {
            pieceAt[node] = id;
        }
    }

    /** Receives each piece found by {@link #matches}: it spans [start, end) of the text. */
    @FunctionalInterface
    interface Match {
        void at(int end, int id);
    }

    /** Every piece that starts at {@code start} of {@code text}, shortest first. */
    void matches(String text, int start, Match match) {
        int node = root();
        for (int c = start; c < text.length(); c++) {
            node = child(node, text.charAt(c));
            if (node < 0) {
                return;
            }
            if (pieceAt[node] >= 0) {
                match.at(c + 1, pieceAt[node]);
            }
        }
    }

    /** The node reached from {@code node} by {@code c}, or -1. */
    int child(int node, char c) {
        long key = key(node, c);
        int mask = keys.length - 1;
        for (int slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
            long k = keys[slot];
            if (k == key) {
                return targets[slot];
            }
            if (k == 0) {
                return -1;
            }
        }
    }

    /** The id of the piece spelled by the path to {@code node}, or -1. */
    int piece(int node) {
        return pieceAt[node];
    }

    private int newNode() {
        if (nodes == pieceAt.length) {
            int old = pieceAt.length;
            pieceAt = java.util.Arrays.copyOf(pieceAt, old * 2);
            java.util.Arrays.fill(pieceAt, old, pieceAt.length, -1);
        }
        return nodes++;
    }

    private void put(int node, char c, int target) {
        if (2 * (edges + 1) > keys.length) {
            grow();
        }
        long key = key(node, c);
        int mask = keys.length - 1;
        int slot = hash(key) & mask;
        while (keys[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        targets[slot] = target;
        edges++;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldTargets = targets;
        keys = new long[oldKeys.length * 2];
        targets = new int[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                int slot = hash(oldKeys[i]) & mask;
                while (keys[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = oldKeys[i];
                targets[slot] = oldTargets[i];
            }
        }
    }

    private static long key(int node, char c) {
        return (((long) node << 16) | c) + 1;
    }

    private static int hash(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
