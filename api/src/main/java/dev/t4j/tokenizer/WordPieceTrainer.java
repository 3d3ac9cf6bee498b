package dev.t4j.tokenizer;

import dev.t4j.json.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a BERT-style WordPiece vocabulary on a corpus, as Hugging Face's WordPieceTrainer does: text normalised
 * and split into words as BERT's tokenizer does (clean-up, Chinese characters apart, optionally lowercased without
 * accents; whitespace and punctuation), each word spelled as its first character followed by "##"-prefixed
 * continuation characters, and the most frequent adjacent pair merged until the vocabulary is full. The special
 * tokens take ids 0-4 ([PAD], [UNK], [CLS], [SEP], [MASK]); the result is a tokenizer.json that Hugging Face
 * loads, and a vocab.txt.
 */
public final class WordPieceTrainer {
    static final List<String> SPECIAL = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    private static final String PREFIX = "##"; // the continuation mark, as TokenizerJson.wordPieceJson writes it

    private WordPieceTrainer() {}

    /** A trained vocabulary in id order, and whether its normaliser lowercases. */
    public record Result(List<String> vocab, boolean lowercase) {
        /** The tokenizer this vocabulary makes. */
        public Tokenizer tokenizer() {
            return TokenizerJson.fromJson(json(), "trained WordPiece");
        }

        /** tokenizer.json content in Hugging Face's format (bert-base-uncased's layout). */
        public Map<String, Object> json() {
            return TokenizerJson.wordPieceJson(vocab, lowercase, "trained WordPiece");
        }

        /** Writes tokenizer.json and, beside it, vocab.txt (one token per line, in id order), each atomically. */
        public void write(Path tokenizerJson) {
            dev.t4j.io.AtomicFile.writeString(tokenizerJson, Json.write(json()));
            dev.t4j.io.AtomicFile.writeString(tokenizerJson.resolveSibling("vocab.txt"), String.join("\n", vocab) + "\n");
        }
    }

    /** Trains on {@code texts} up to {@code vocabSize} tokens (special tokens included). */
    public static Result train(List<String> texts, int vocabSize, boolean lowercase) {
        Normalizer normalizer = new Normalizer.Bert(true, true, lowercase, lowercase);
        PreTokenizer words = new PreTokenizer.Bert();
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        for (String text : texts) {
            for (PreTokenizer.Word w : words.split(normalizer.apply(Text.of(text, 0)))) {
                wordCounts.merge(w.text(), 1, Integer::sum);
            }
        }
        List<String> symbols = new ArrayList<>();
        Map<String, Integer> symbolIds = new HashMap<>();
        List<String> wordList = new ArrayList<>(wordCounts.keySet());
        int[][] spelled = PairMerges.symbolize(wordList, symbols, symbolIds, (c, position) -> position == 0 ? c : PREFIX + c);
        int[] counts = wordCounts.values().stream().mapToInt(Integer::intValue).toArray();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : SPECIAL) {
            vocab.put(s, vocab.size());
        }
        // the alphabet in a stable order: word-initial characters first, then continuations, each sorted
        symbols.stream().filter(s -> !s.startsWith(PREFIX)).sorted().forEach(s -> vocab.putIfAbsent(s, vocab.size()));
        symbols.stream().filter(s -> s.startsWith(PREFIX)).sorted().forEach(s -> vocab.putIfAbsent(s, vocab.size()));
        if (vocabSize < vocab.size()) {
            throw new IllegalArgumentException("the corpus has " + (vocab.size() - SPECIAL.size()) + " distinct "
                    + "characters (with ## continuations), so a WordPiece vocabulary needs at least " + vocab.size()
                    + " tokens; asked for " + vocabSize);
        }
        new PairMerges(symbols, spelled, counts, (a, b) -> a + b.substring(PREFIX.length())).run(vocab, vocabSize);
        return new Result(new ArrayList<>(vocab.keySet()), lowercase);
    }
}
