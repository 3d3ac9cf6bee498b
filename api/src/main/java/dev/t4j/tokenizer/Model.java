package dev.t4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Turns one pre-tokenised word into tokens (tokenizer.json "model"). */
sealed interface Model {
    /** A token: its id, its string, and [start, end) in the word's chars. */
    record Token(int id, String value, int start, int end) {}

    List<Token> tokenize(String word);

    Map<String, Integer> vocab();

    /**
     * Byte-pair encoding. With {@code byteLevel}, a word is first turned into its UTF-8 bytes written in the
     * byte-level alphabet (GPT-2); then the lowest-ranked adjacent pair is merged until no merge applies.
     */
    final class Bpe implements Model {
        private final Map<String, Integer> vocab;
        private final Map<String, Integer> ranks;
        private final boolean byteLevel;
        private final String unk;
        private final Map<String, List<Token>> cache = new ConcurrentHashMap<>();

        Bpe(Map<String, Integer> vocab, List<String[]> merges, boolean byteLevel, String unk) {
            this.vocab = vocab;
            this.byteLevel = byteLevel;
            this.unk = unk;
            this.ranks = new HashMap<>(merges.size() * 2);
            for (int i = 0; i < merges.size(); i++) {
                ranks.putIfAbsent(merges.get(i)[0] + " " + merges.get(i)[1], i);
            }
        }

        @Override
        public Map<String, Integer> vocab() {
            return vocab;
        }

        @Override
        public List<Token> tokenize(String word) {
            List<Token> hit = cache.get(word);
            if (hit != null) {
                return hit;
            }
            List<Token> result = byteLevel ? byteLevel(word) : chars(word);
            if (cache.size() > 200_000) {
                cache.clear();
            }
            cache.put(word, result);
            return result;
        }

        private List<Token> byteLevel(String word) {
            byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
            int[] byteToChar = new int[bytes.length + 1];
            for (int c = 0, b = 0; c < word.length(); ) {
                int cp = word.codePointAt(c);
                int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
                for (int k = 0; k < n; k++) {
                    byteToChar[b++] = c;
                }
                c += Character.charCount(cp);
            }
            byteToChar[bytes.length] = word.length();
            List<String> symbols = new ArrayList<>(bytes.length);
            for (byte b : bytes) {
                symbols.add(String.valueOf(ByteLevelAlphabet.BYTE_TO_CHAR[b & 0xff]));
            }
            merge(symbols);
            List<Token> out = new ArrayList<>(symbols.size());
            int at = 0;
            for (String s : symbols) {
                Integer id = vocab.get(s);
                if (id == null) {
                    throw new IllegalStateException("byte-level token '" + s + "' is not in the vocabulary");
                }
                int end = at + s.length();
                out.add(new Token(id, s, byteToChar[at], at == end ? byteToChar[at] : byteToChar[end - 1] + 1));
                at = end;
            }
            return out;
        }

        private List<Token> chars(String word) {
            List<String> symbols = new ArrayList<>();
            word.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
            merge(symbols);
            List<Token> out = new ArrayList<>();
            int at = 0;
            for (String s : symbols) {
                Integer id = vocab.get(s);
                if (id == null) {
                    Integer u = unk == null ? null : vocab.get(unk);
                    if (u == null) {
                        throw new IllegalArgumentException("token '" + s + "' is not in the vocabulary and the model has "
                                + "no unk_token");
                    }
                    id = u;
                }
                out.add(new Token(id, s, at, at + s.length()));
                at += s.length();
            }
            return out;
        }

        private void merge(List<String> symbols) {
            while (symbols.size() > 1) {
                int best = Integer.MAX_VALUE;
                int at = -1;
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    Integer r = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
                    if (r != null && r < best) {
                        best = r;
                        at = i;
                    }
                }
                if (at < 0) {
                    return;
                }
                String left = symbols.get(at);
                String right = symbols.get(at + 1);
                // merge every occurrence of this pair, left to right
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    if (symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                        symbols.set(i, left + right);
                        symbols.remove(i + 1);
                    }
                }
            }
        }
    }

    /** BERT's WordPiece: greedy longest match from the left, continuations prefixed with "##". */
    final class WordPiece implements Model {
        private final Map<String, Integer> vocab;
        private final String unk;
        private final String prefix;
        private final int maxChars;

        WordPiece(Map<String, Integer> vocab, String unk, String prefix, int maxChars) {
            this.vocab = vocab;
            this.unk = unk;
            this.prefix = prefix;
            this.maxChars = maxChars;
            if (!vocab.containsKey(unk)) {
                throw new IllegalArgumentException("WordPiece unk_token '" + unk + "' is not in the vocabulary");
            }
        }

        @Override
        public Map<String, Integer> vocab() {
            return vocab;
        }

        @Override
        public List<Token> tokenize(String word) {
            if (word.codePointCount(0, word.length()) > maxChars) {
                return List.of(new Token(vocab.get(unk), unk, 0, word.length()));
            }
            List<Token> out = new ArrayList<>();
            int start = 0;
            while (start < word.length()) {
                int end = word.length();
                Token found = null;
                while (start < end) {
                    String piece = word.substring(start, end);
                    if (start > 0) {
                        piece = prefix + piece;
                    }
                    Integer id = vocab.get(piece);
                    if (id != null) {
                        found = new Token(id, piece, start, end);
                        break;
                    }
                    end = Character.isLowSurrogate(word.charAt(end - 1)) && end - 2 > start ? end - 2 : end - 1;
                }
                if (found == null) {
                    return List.of(new Token(vocab.get(unk), unk, 0, word.length()));
                }
                out.add(found);
                start = end;
            }
            return out;
        }
    }

    /**
     * Unigram language model (SentencePiece's, in tokenizer.json): the segmentation of highest total score, found
     * by Viterbi over the pieces that start at each character (a trie walk); a character no piece covers becomes the
     * unknown token, scored the lowest piece score minus 10, and runs of them fuse into one. As Hugging Face's
     * encode_optimized, so ties resolve the same way: a later candidate replaces the best only when strictly better.
     */
    final class Unigram implements Model {
        private static final double UNK_PENALTY = 10.0;
        private final List<String> pieces;
        private final double[] scores;
        private final int unkId;
        private final double minScore;
        private final PieceTrie trie;
        private final Map<String, Integer> vocab = new HashMap<>();
        private final Map<String, List<Token>> cache = new ConcurrentHashMap<>();

        Unigram(List<String> pieces, double[] scores, int unkId) {
            this.pieces = pieces;
            this.scores = scores;
            this.unkId = unkId;
            double min = Double.POSITIVE_INFINITY;
            int chars = 0;
            for (int i = 0; i < scores.length; i++) {
                min = Math.min(min, scores[i]);
                chars += pieces.get(i).length();
            }
            this.minScore = min;
            this.trie = new PieceTrie(chars);
            for (int i = 0; i < pieces.size(); i++) {
                trie.add(pieces.get(i), i);
                vocab.putIfAbsent(pieces.get(i), i);
            }
        }

        @Override
        public Map<String, Integer> vocab() {
            return vocab;
        }

        List<String> pieces() {
            return pieces;
        }

        double score(int id) {
            return scores[id];
        }

        @Override
        public List<Token> tokenize(String word) {
            List<Token> hit = cache.get(word);
            if (hit != null) {
                return hit;
            }
            List<Token> result = viterbi(word);
            if (cache.size() > 200_000) {
                cache.clear();
            }
            cache.put(word, result);
            return result;
        }

        private List<Token> viterbi(String word) {
            int n = word.length();
            double[] best = new double[n + 1];
            int[] bestId = new int[n + 1];
            int[] from = new int[n + 1];
            java.util.Arrays.fill(from, -1);
            double unkScore = minScore - UNK_PENALTY;
            for (int start = 0; start < n; ) {
                int charLen = Character.charCount(word.codePointAt(start));
                double here = best[start];
                boolean[] single = {false};
                int from0 = start;
                trie.matches(word, start, (end, id) -> {
                    if (end < n && Character.isLowSurrogate(word.charAt(end))) {
                        return; // would split a surrogate pair
                    }
                    double candidate = scores[id] + here;
                    if (from[end] < 0 || candidate > best[end]) {
                        best[end] = candidate;
                        from[end] = from0;
                        bestId[end] = id;
                    }
                    single[0] |= end - from0 == charLen;
                });
                if (!single[0]) {
                    int end = start + charLen;
                    double candidate = unkScore + here;
                    if (from[end] < 0 || candidate > best[end]) {
                        best[end] = candidate;
                        from[end] = start;
                        bestId[end] = unkId;
                    }
                }
                start += charLen;
            }
            List<Token> out = new ArrayList<>();
            for (int end = n; end > 0; end = from[end]) {
                int start = from[end];
                if (bestId[end] == unkId && !out.isEmpty() && out.getLast().id() == unkId) {
                    Token later = out.removeLast(); // fuse a run of unknowns, as fuse_unk does
                    out.add(new Token(unkId, word.substring(start, later.end()), start, later.end()));
                } else {
                    out.add(new Token(bestId[end], word.substring(start, end), start, end));
                }
            }
            java.util.Collections.reverse(out);
            return out;
        }
    }
}
