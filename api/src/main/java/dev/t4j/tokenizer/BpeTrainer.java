package dev.t4j.tokenizer;

import dev.t4j.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Trains a GPT-2-style byte-level BPE on a corpus: words are split with GPT-2's regex and written in the
 * byte-level alphabet, the 256 bytes are the initial vocabulary, and the most frequent adjacent pair is merged
 * until the vocabulary reaches the requested size (ties broken by the older symbols, so the result does not
 * depend on hash order). The result is written as a Hugging Face tokenizer.json.
 */
public final class BpeTrainer {
    private BpeTrainer() {}

    /** A trained vocabulary: token -> id, and the merges in rank order. */
    public record Result(Map<String, Integer> vocab, List<String[]> merges, List<String> specialTokens) {
        /** The tokenizer these describe. */
        public Tokenizer tokenizer() {
            return TokenizerJson.fromJson(json(), "trained BPE");
        }

        /** tokenizer.json content in Hugging Face's format. */
        public Map<String, Object> json() {
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("type", "BPE");
            model.put("dropout", null);
            model.put("unk_token", null);
            model.put("continuing_subword_prefix", "");
            model.put("end_of_word_suffix", "");
            model.put("fuse_unk", false);
            model.put("byte_fallback", false);
            Map<String, Object> v = new LinkedHashMap<>();
            vocab.forEach((k, id) -> v.put(k, (long) id));
            model.put("vocab", v);
            List<Object> m = new ArrayList<>();
            for (String[] p : merges) {
                m.add(p[0] + " " + p[1]);
            }
            model.put("merges", m);
            List<Object> added = new ArrayList<>();
            for (String s : specialTokens) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", (long) vocab.get(s));
                a.put("content", s);
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", true);
                a.put("special", true);
                added.add(a);
            }
            Map<String, Object> byteLevel = new LinkedHashMap<>();
            byteLevel.put("type", "ByteLevel");
            byteLevel.put("add_prefix_space", false);
            byteLevel.put("trim_offsets", true);
            byteLevel.put("use_regex", true);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("version", "1.0");
            json.put("truncation", null);
            json.put("padding", null);
            json.put("added_tokens", added);
            json.put("normalizer", null);
            json.put("pre_tokenizer", byteLevel);
            json.put("post_processor", byteLevel);
            json.put("decoder", byteLevel);
            json.put("model", model);
            return json;
        }

        /** Writes tokenizer.json atomically. */
        public void write(Path file) {
            dev.t4j.io.AtomicFile.writeString(file, Json.write(json()));
        }
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    private static void addPairs(int[] word, int count, int index, Map<Long, long[]> pairCounts,
            Map<Long, java.util.BitSet> pairWords) {
        for (int j = 0; j + 1 < word.length; j++) {
            long k = key(word[j], word[j + 1]);
            pairCounts.computeIfAbsent(k, x -> new long[1])[0] += count;
            pairWords.computeIfAbsent(k, x -> new java.util.BitSet()).set(index);
        }
    }

    private static void removePairs(int[] word, int count, Map<Long, long[]> pairCounts) {
        for (int j = 0; j + 1 < word.length; j++) {
            long k = key(word[j], word[j + 1]);
            long[] c = pairCounts.get(k);
            if (c != null && (c[0] -= count) <= 0) {
                pairCounts.remove(k);
            }
        }
    }

    /** Trains on {@code text} up to {@code vocabSize} tokens, the special tokens (e.g. <|endoftext|>) last. */
    public static Result train(String text, int vocabSize, List<String> specialTokens) {
        if (vocabSize < 256 + specialTokens.size()) {
            throw new IllegalArgumentException("a byte-level BPE needs a vocabulary of at least " + (256 + specialTokens.size())
                    + " (256 bytes + special tokens), asked for " + vocabSize);
        }
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        Matcher m = PreTokenizer.ByteLevel.GPT2.matcher(text);
        while (m.find()) {
            byte[] bytes = m.group().getBytes(StandardCharsets.UTF_8);
            StringBuilder sb = new StringBuilder(bytes.length);
            for (byte b : bytes) {
                sb.append(ByteLevelAlphabet.BYTE_TO_CHAR[b & 0xff]);
            }
            wordCounts.merge(sb.toString(), 1, Integer::sum);
        }
        // Words as arrays of symbol ids; pair statistics kept incrementally, so a merge only revisits the words
        // that hold its pair.
        List<String> symbols = new ArrayList<>();
        Map<String, Integer> symbolIds = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(ByteLevelAlphabet.BYTE_TO_CHAR[b]);
            symbolIds.put(c, symbols.size());
            symbols.add(c);
        }
        int[][] words = new int[wordCounts.size()][];
        int[] counts = new int[wordCounts.size()];
        int w = 0;
        for (var e : wordCounts.entrySet()) {
            String word = e.getKey();
            words[w] = new int[word.length()];
            for (int j = 0; j < word.length(); j++) {
                words[w][j] = symbolIds.get(String.valueOf(word.charAt(j)));
            }
            counts[w++] = e.getValue();
        }
        Map<Long, long[]> pairCounts = new HashMap<>();
        Map<Long, java.util.BitSet> pairWords = new HashMap<>();
        for (int i = 0; i < words.length; i++) {
            addPairs(words[i], counts[i], i, pairCounts, pairWords);
        }
        Map<String, Integer> vocab = new LinkedHashMap<>(symbolIds);
        List<String[]> merges = new ArrayList<>();
        int target = vocabSize - specialTokens.size();
        while (vocab.size() < target) {
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
            String merged = symbols.get(a) + symbols.get(b);
            int id = symbols.size();
            symbols.add(merged);
            merges.add(new String[] {symbols.get(a), symbols.get(b)});
            vocab.putIfAbsent(merged, vocab.size());
            java.util.BitSet holders = pairWords.remove(best);
            for (int i = holders.nextSetBit(0); i >= 0; i = holders.nextSetBit(i + 1)) {
                int[] old = words[i];
                removePairs(old, counts[i], pairCounts);
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
                words[i] = java.util.Arrays.copyOf(next, n);
                addPairs(words[i], counts[i], i, pairCounts, pairWords);
            }
            pairCounts.remove(best);
        }
        for (String special : specialTokens) {
            vocab.putIfAbsent(special, vocab.size());
        }
        return new Result(vocab, merges, specialTokens);
    }
}
