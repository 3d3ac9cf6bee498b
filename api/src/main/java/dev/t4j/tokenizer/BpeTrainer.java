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
                added.add(TokenizerJson.addedToken(s, vocab.get(s), true));
            }
            Map<String, Object> byteLevel = new LinkedHashMap<>();
            byteLevel.put("type", "ByteLevel");
            byteLevel.put("add_prefix_space", false);
            byteLevel.put("trim_offsets", true);
            byteLevel.put("use_regex", true);
            return TokenizerJson.document(added, null, byteLevel, byteLevel, byteLevel, model);
        }

        /** Writes tokenizer.json atomically. */
        public void write(Path file) {
            dev.t4j.io.AtomicFile.writeString(file, Json.write(json()));
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
        List<String> symbols = new ArrayList<>();
        Map<String, Integer> symbolIds = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(ByteLevelAlphabet.BYTE_TO_CHAR[b]);
            symbolIds.put(c, symbols.size());
            symbols.add(c);
        }
        List<String> wordList = new ArrayList<>(wordCounts.keySet());
        int[][] words = PairMerges.symbolize(wordList, symbols, symbolIds, (c, position) -> c);
        int[] counts = wordCounts.values().stream().mapToInt(Integer::intValue).toArray();
        Map<String, Integer> vocab = new LinkedHashMap<>(symbolIds);
        List<String[]> merges = new PairMerges(symbols, words, counts, String::concat)
                .run(vocab, vocabSize - specialTokens.size());
        for (String special : specialTokens) {
            vocab.putIfAbsent(special, vocab.size());
        }
        return new Result(vocab, merges, specialTokens);
    }
}
