package dev.t4j.cli;

import dev.t4j.tokenizer.BpeTrainer;
import dev.t4j.tokenizer.Tokenizer;
import dev.t4j.tokenizer.UnigramTrainer;
import dev.t4j.tokenizer.WordPieceTrainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code t4j train-tokenizer}: a byte-level BPE (GPT-2 style), WordPiece (BERT style) or Unigram (T5 / SentencePiece
 * style) vocabulary from a corpus.
 */
final class TrainTokenizerCommand {
    private TrainTokenizerCommand() {}

    private static final String HELP = """
            usage: t4j train-tokenizer --type bpe|wordpiece|unigram [--corpus FILE|DIR] [--vocab N] [--cased]
                                       [--extra-ids N] [--out DIR]

            Trains a tokenizer on a corpus (default: the bundled WikiText-2 raw test text; a folder means every *.txt
            in it) and writes DIR/tokenizer.json (default runs/tokenizer), which Hugging Face's tokenizers load as it
            is. bpe: GPT-2's byte-level BPE with <|endoftext|> (no unknown tokens, ever). wordpiece: BERT's WordPiece
            with [PAD] [UNK] [CLS] [SEP] [MASK] as ids 0-4, lowercased and accent-stripped unless --cased; also writes
            DIR/vocab.txt. unigram: SentencePiece's Unigram model (EM and pruning), NFKC and "▁" word marks, with T5's
            <pad> </s> <unk> as ids 0-2 and --extra-ids N (100) sentinels <extra_id_0>... as the last ids, ready for
            span corruption. --vocab N (8000) counts the special tokens.
            """;

    static int run(String[] argv, PrintStream out) {
        Args a = new Args(argv, 1, Set.of("type", "corpus", "vocab", "out", "extra-ids"), Set.of("cased", "help"));
        if (a.flag("help")) {
            out.print(HELP);
            return 0;
        }
        String type = a.get("type", null);
        if (type == null) {
            throw new Args.UsageException("train-tokenizer needs --type bpe, wordpiece or unigram");
        }
        Path corpus = Path.of(a.get("corpus", Home.path("data/corpora/wikitext-2-raw/wiki.test.raw").toString()));
        Path file = Path.of(a.get("out", "runs/tokenizer")).resolve("tokenizer.json");
        int vocab = a.getInt("vocab", 8000);
        String text = PretrainCommand.readCorpus(corpus);
        if (text.isBlank()) {
            throw new IllegalArgumentException(corpus + " holds no text to train a tokenizer on");
        }
        long t0 = System.nanoTime();
        Tokenizer tok;
        switch (type) {
            case "bpe" -> {
                BpeTrainer.Result r = BpeTrainer.train(text, vocab, List.of("<|endoftext|>"));
                r.write(file);
                tok = r.tokenizer();
            }
            case "wordpiece" -> {
                List<String> lines = Arrays.stream(text.split("\n")).filter(l -> !l.isBlank()).toList();
                WordPieceTrainer.Result r = WordPieceTrainer.train(lines, vocab, !a.flag("cased"));
                r.write(file);
                tok = r.tokenizer();
            }
            case "unigram" -> {
                List<String> lines = Arrays.stream(text.split("\n")).filter(l -> !l.isBlank()).toList();
                UnigramTrainer.Result r = UnigramTrainer.train(lines, vocab, a.getInt("extra-ids", 100));
                r.write(file);
                tok = r.tokenizer();
            }
            default -> throw new Args.UsageException("--type must be bpe, wordpiece or unigram, not '" + type + "'");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int tokens = tok.encode(text, null, false).ids().length;
        out.printf("trained a %s tokenizer of %,d tokens on %s (%,d characters) in %.1f s; it encodes the corpus in "
                + "%,d tokens, %.2f characters per token%n", type, tok.vocabSize(), corpus, text.length(), seconds, tokens,
                (double) text.length() / tokens);
        out.println("wrote " + file + (type.equals("wordpiece") ? " and " + file.resolveSibling("vocab.txt") : ""));
        return 0;
    }
}
