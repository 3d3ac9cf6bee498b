package dev.t4j.tokenizer;

import java.nio.file.Path;

/** SentencePiece models (T5's spiece.model). */
final class SentencePiece {
    private SentencePiece() {}

    static Tokenizer load(Path file) {
        throw new IllegalArgumentException(file + ": SentencePiece models are not supported yet; only tokenizer.json "
                + "(BPE, WordPiece), GPT-2 vocab.json + merges.txt and BERT vocab.txt are");
    }
}
