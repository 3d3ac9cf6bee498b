package dev.t4j.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * The merge loop shared by BPE and WordPiece training: words (with their counts) as arrays of symbol ids; the most
 * frequent adjacent pair becomes a new symbol until there are enough, ties broken by the older symbols so that the
 * result does not depend on hash order. Pair statistics are kept incrementally, so a merge revisits only the
 * words that hold its pair.
 */
final class PairMerges {
    private final List<String> symbols;
    private final int[][] words;
    private final int[] counts;
    private final BinaryOperator<String> join;
    private final Map<Long, long[]> pairCounts = new HashMap<>();
    private final Map<Long, BitSet> pairWords = new HashMap<>();

    /**
     * {@code join} names the symbol a pair merges into (BPE concatenates; WordPiece drops the second symbol's
     * "##"). The words' arrays are rewritten in place as merges apply.
     */
    PairMerges(List<String> symbols, int[][] words, int[] counts, BinaryOperator<String> join) {
        this.symbols = symbols;
        this.words = words;
        this.counts = counts;
        this.join = join;
        for (int i = 0; i < words.length; i++) {
            addPairs(words[i], counts[i], i);
        }
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    private void addPairs(int[] word, int count, int index) {
        for (int j = 0; j + 1 < word.length; j++) {
            long k = key(word[j], word[j + 1]);
            pairCounts.computeIfAbsent(k, x -> new long[1])[0] += count;
            pairWords.computeIfAbsent(k, x -> new BitSet()).set(index);
        }
    }

    private void removePairs(int[] word, int count) {
        for (int j = 0; j + 1 < word.length; j++) {
            long k = key(word[j], word[j + 1]);
            long[] c = pairCounts.get(k);
            if (c != null && (c[0] -= count) <= 0) {
                pairCounts.remove(k);
            }
        }
    }

    /**
     * Merges until {@code vocabulary.size()} reaches {@code target} or no pair occurs twice; each new symbol is
     * added to {@code vocabulary} (if new) with the next id. Returns the merges in rank order.
     */
    List<String[]> run(Map<String, Integer> vocabulary, int target) {
        List<String[]> merges = new ArrayList<>();
        while (vocabulary.size() < target) {
            long best = -1;
            long bestCount = 1; // a pair seen once is not worth a vocabulary slot
            for (var e : pairCounts.entrySet()) {
                long c = e.getValue()[0];
                if (c > bestCount || (c == bestCount && best >= 0 && e.getKey() < best)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best < 0) {
                break;
            }
            int a = (int) (best >>> 32);
            int b = (int) best;
            String merged = join.apply(symbols.get(a), symbols.get(b));
            int id = symbols.size();
            symbols.add(merged);
            merges.add(new String[] {symbols.get(a), symbols.get(b)});
            vocabulary.putIfAbsent(merged, vocabulary.size());
            BitSet holders = pairWords.remove(best);
            for (int i = holders.nextSetBit(0); i >= 0; i = holders.nextSetBit(i + 1)) {
                int[] old = words[i];
                removePairs(old, counts[i]);
                int[] next = new int[old.length];
                int n = 0;
                for (int j = 0; j < old.length; j++) {
                    if (j + 1 < old.length && old[j] == a && old[j + 1] == b) {
                        next[n++] = id;
                        j++;
                    } else {
                        next[n++] = old[j];
                    }
                }
                words[i] = Arrays.copyOf(next, n);
                addPairs(words[i], counts[i], i);
            }
            pairCounts.remove(best);
        }
        return merges;
    }

    /** Symbol ids for each word's characters, as {@code symbolOf(word, position)} names them. */
    static int[][] symbolize(List<String> wordList, List<String> symbols, Map<String, Integer> symbolIds,
            java.util.function.BiFunction<String, Integer, String> symbolOf) {
        int[][] out = new int[wordList.size()][];
        for (int w = 0; w < out.length; w++) {
            String word = wordList.get(w);
            int[] cps = word.codePoints().toArray();
            out[w] = new int[cps.length];
            for (int j = 0, at = 0; j < cps.length; at += Character.charCount(cps[j]), j++) {
                String sym = symbolOf.apply(word.substring(at, at + Character.charCount(cps[j])), j);
                Integer id = symbolIds.get(sym);
                if (id == null) {
                    id = symbols.size();
                    symbols.add(sym);
                    symbolIds.put(sym, id);
                }
                out[w][j] = id;
            }
        }
        return out;
    }
}
