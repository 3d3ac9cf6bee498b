package dev.t4j.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Text to token ids and back, with Hugging Face's {@code tokenizer(text)} defaults: each model's special tokens
 * are added (BERT [CLS] ... [SEP], T5 ... </s>, GPT-2 none); truncation and padding happen only when asked.
 */
public interface Tokenizer {
    /** Encodes with the model's special tokens. */
    default Encoding encode(String text) {
        return encode(text, null, true);
    }

    /** Encodes a single text ({@code pair} null) or a pair, with or without the special tokens. */
    Encoding encode(String text, String pair, boolean addSpecialTokens);

    /** Ids back to text; special tokens are dropped when {@code skipSpecialTokens}. */
    String decode(int[] ids, boolean skipSpecialTokens);

    int vocabSize();

    /** The id of a token string, or -1. */
    int tokenToId(String token);

    /** The token string of an id; an error naming the id when out of range. */
    String idToToken(int id);

    /**
     * Encodes several texts, truncating each to {@code maxLength} tokens when {@code truncate} (else an over-long
     * text is an error naming its index) and padding them on the {@code padLeft} or right side to the longest.
     */
    default List<Encoding> encodeBatch(List<String> texts, int maxLength, boolean truncate, boolean padLeft) {
        return Batching.encodeBatch(this, texts, maxLength, truncate, padLeft);
    }

    /** The id used for padding (0 when the model has no pad token). */
    int padId();

    /**
     * Loads a tokenizer from a {@code tokenizer.json}, a SentencePiece {@code spiece.model} / {@code *.model}, a
     * BERT {@code vocab.txt}, or a folder holding one of them (tokenizer.json preferred).
     */
    static Tokenizer load(Path path) {
        if (Files.isDirectory(path)) {
            for (String name : new String[] {"tokenizer.json", "spiece.model", "tokenizer.model", "vocab.txt"}) {
                if (Files.isRegularFile(path.resolve(name))) {
                    return load(path.resolve(name));
                }
            }
            if (Files.isRegularFile(path.resolve("vocab.json")) && Files.isRegularFile(path.resolve("merges.txt"))) {
                return TokenizerJson.gpt2(path.resolve("vocab.json"), path.resolve("merges.txt"));
            }
            throw new IllegalArgumentException(path + ": no tokenizer.json, spiece.model, vocab.txt or "
                    + "vocab.json + merges.txt in this folder");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".json") && !name.equals("vocab.json")) {
            return TokenizerJson.load(path);
        }
        if (name.endsWith(".model")) {
            return SentencePiece.load(path);
        }
        if (name.endsWith(".txt")) {
            return TokenizerJson.bertVocab(path);
        }
        throw new IllegalArgumentException(path + ": not a tokenizer file (tokenizer.json, *.model, vocab.txt)");
    }
}
