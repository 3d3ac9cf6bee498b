package dev.t4j.tokenizer;

import dev.t4j.json.Json;
import java.nio.file.Path;
import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a Unigram (SentencePiece) vocabulary on a corpus, after Kudo (2018) and SentencePiece's trainer: words are
 * NFKC-normalised and marked with "▁" as the Metaspace pre-tokenizer does; the frequent substrings of the words
 * that SentencePiece's default rules allow as pieces (one script, digits apart, "▁" only in front) seed a large
 * vocabulary; then rounds of EM (expected piece counts from forward-backward over each word's
 * segmentation lattice, scores re-estimated as digamma(count) - digamma(total)) alternate with pruning the quarter
 * of the pieces whose removal costs the corpus likelihood least, until the vocabulary fits. Every character of the
 * corpus stays a piece, so training text never becomes unknown. The special tokens follow T5: {@code <pad>} 0,
 * {@code </s>} 1, {@code <unk>} 2, and {@code extraIds} sentinels {@code <extra_id_0>}... at the end, numbered
 * downwards from the last id. The result is a Hugging Face tokenizer.json.
 */
public final class UnigramTrainer {
    static final String SPACE = "\u2581";
    private static final List<String> SPECIAL = List.of("<pad>", "</s>", "<unk>");
    private static final int MAX_PIECE_CHARS = 16;
    private static final double SHRINK = 0.75;
    private static final int SUB_ITERATIONS = 2;

    private UnigramTrainer() {}

    /** A trained vocabulary in id order with its scores (0 for the special tokens), and how many sentinels end it. */
    public record Result(List<String> pieces, double[] scores, int extraIds) {
        /** The tokenizer this vocabulary makes. */
        public Tokenizer tokenizer() {
            return TokenizerJson.fromJson(json(), "trained Unigram");
        }

        /** tokenizer.json content in Hugging Face's format (T5's layout: NFKC, Metaspace, "$A </s>"). */
        public Map<String, Object> json() {
            Map<String, Object> metaspace = new LinkedHashMap<>();
            metaspace.put("type", "Metaspace");
            metaspace.put("replacement", SPACE);
            metaspace.put("prepend_scheme", "always");
            metaspace.put("split", true);
            double[] s = new double[scores.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores[i];
            }
            return TokenizerJson.t5Json(pieces, s, extraIds, Map.of("type", "NFKC"), metaspace, metaspace);
        }

        /** Writes tokenizer.json atomically. */
        public void write(Path file) {
            dev.t4j.io.AtomicFile.writeString(file, Json.write(json()));
        }
    }

    /** The words of {@code texts} as the trained tokenizer will see them (NFKC, Metaspace) with their counts. */
    static Map<String, Integer> words(List<String> texts) {
        Normalizer nfkc = new Normalizer.Unicode(Form.NFKC);
        PreTokenizer meta = new PreTokenizer.Metaspace(SPACE.charAt(0), true, true);
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String text : texts) {
            for (PreTokenizer.Word w : meta.split(nfkc.apply(Text.of(text, 0)))) {
                counts.merge(w.text(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Trains on {@code texts} up to {@code vocabSize} tokens, special tokens and {@code extraIds} sentinels included. */
    public static Result train(List<String> texts, int vocabSize, int extraIds) {
        Map<String, Integer> wordCounts = words(texts);
        String[] words = wordCounts.keySet().toArray(new String[0]);
        long[] counts = wordCounts.values().stream().mapToLong(Integer::longValue).toArray();
        int target = vocabSize - SPECIAL.size() - extraIds;

        // required characters and seed substrings, scored by frequency
        Map<String, Long> chars = new HashMap<>();
        Map<String, Long> substrings = new HashMap<>();
        for (int w = 0; w < words.length; w++) {
            int[] cps = words[w].codePoints().toArray();
            int[] at = new int[cps.length + 1];
            for (int i = 0; i < cps.length; i++) {
                at[i + 1] = at[i] + Character.charCount(cps[i]);
            }
            for (int i = 0; i < cps.length; i++) {
                chars.merge(words[w].substring(at[i], at[i + 1]), counts[w], Long::sum);
                for (int j = i + 2; j <= Math.min(cps.length, i + MAX_PIECE_CHARS); j++) {
                    if (!compatible(cps, i, j)) {
                        break; // a longer piece from i would hold the same mix
                    }
                    substrings.merge(words[w].substring(at[i], at[j]), counts[w], Long::sum);
                }
            }
        }
        if (target < chars.size()) {
            throw new IllegalArgumentException("the corpus has " + chars.size() + " distinct characters, so a Unigram "
                    + "vocabulary needs at least " + (chars.size() + SPECIAL.size() + extraIds) + " tokens; asked for "
                    + vocabSize);
        }
        List<Map.Entry<String, Long>> seeds = new ArrayList<>(substrings.entrySet());
        seeds.removeIf(e -> e.getValue() < 2);
        seeds.sort((a, b) -> {
            int c = Long.compare(b.getValue() * b.getKey().length(), a.getValue() * a.getKey().length());
            return c != 0 ? c : a.getKey().compareTo(b.getKey());
        });
        List<String> pieces = new ArrayList<>(chars.keySet().stream().sorted().toList());
        int required = pieces.size();
        for (var e : seeds.subList(0, Math.min(seeds.size(), Math.max(10 * target, 50_000)))) {
            pieces.add(e.getKey());
        }
        double[] scores = new double[pieces.size()];
        double total = 0;
        for (int i = 0; i < pieces.size(); i++) {
            total += i < required ? chars.get(pieces.get(i)) : substrings.get(pieces.get(i));
        }
        for (int i = 0; i < pieces.size(); i++) {
            double f = i < required ? chars.get(pieces.get(i)) : substrings.get(pieces.get(i));
            scores[i] = Math.log(f / total);
        }

        int desired = Math.max(target, (int) (target * 1.1));
        while (true) {
            for (int it = 0; it < SUB_ITERATIONS; it++) {
                double[] expected = expectedCounts(pieces, scores, words, counts);
                Vocabulary v = reestimate(pieces, expected, required);
                pieces = v.pieces;
                scores = v.scores;
            }
            if (pieces.size() <= desired) {
                break;
            }
            Vocabulary v = prune(pieces, scores, required, words, counts, Math.max(desired, (int) (pieces.size() * SHRINK)));
            pieces = v.pieces;
            scores = v.scores;
        }
        // final cut to the target: every character, then the best-scored pieces
        Integer[] order = new Integer[pieces.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        double[] s = scores;
        List<String> p = pieces;
        Arrays.sort(order, (a, b) -> {
            boolean ra = a < required;
            boolean rb = b < required;
            if (ra != rb) {
                return ra ? -1 : 1;
            }
            int c = Double.compare(s[b], s[a]);
            return c != 0 ? c : p.get(a).compareTo(p.get(b));
        });
        List<Integer> kept = new ArrayList<>(Arrays.asList(order).subList(0, Math.min(target, order.length)));
        kept.sort((a, b) -> {
            int c = Double.compare(s[b], s[a]);
            return c != 0 ? c : p.get(a).compareTo(p.get(b));
        });
        List<String> vocab = new ArrayList<>(SPECIAL);
        List<Double> vocabScores = new ArrayList<>(List.of(0.0, 0.0, 0.0));
        for (int i : kept) {
            vocab.add(p.get(i));
            vocabScores.add(s[i]);
        }
        for (int k = extraIds - 1; k >= 0; k--) {
            vocab.add("<extra_id_" + k + ">");
            vocabScores.add(0.0);
        }
        return new Result(vocab, vocabScores.stream().mapToDouble(Double::doubleValue).toArray(), extraIds);
    }

    /**
     * Whether code points [i, j) may form one piece under SentencePiece's default rules: one Unicode script (marks
     * inherit their base's; Han, Hiragana and Katakana count as one), digits not mixed with other characters, and
     * "▁" only as the first character, where it may precede anything.
     */
    static boolean compatible(int[] cps, int i, int j) {
        int first = cps[i] == SPACE.charAt(0) ? i + 1 : i;
        Character.UnicodeScript script = null;
        Boolean digits = null;
        for (int k = first; k < j; k++) {
            int c = cps[k];
            if (c == SPACE.charAt(0)) {
                return false;
            }
            boolean digit = Character.isDigit(c);
            if (digits != null && digits != digit) {
                return false;
            }
            digits = digit;
            Character.UnicodeScript s = Character.UnicodeScript.of(c);
            if (s == Character.UnicodeScript.INHERITED) {
                continue;
            }
            if (s == Character.UnicodeScript.HIRAGANA || s == Character.UnicodeScript.KATAKANA) {
                s = Character.UnicodeScript.HAN;
            }
            if (script != null && script != s) {
                return false;
            }
            script = s;
        }
        return true;
    }

    private record Vocabulary(List<String> pieces, double[] scores) {}

    private static PieceTrie trie(List<String> pieces) {
        int chars = 0;
        for (String p : pieces) {
            chars += p.length();
        }
        PieceTrie trie = new PieceTrie(chars);
        for (int i = 0; i < pieces.size(); i++) {
            trie.add(pieces.get(i), i);
        }
        return trie;
    }

    /** E-step: each piece's expected count over all words, from forward-backward on the segmentation lattice. */
    static double[] expectedCounts(List<String> pieces, double[] scores, String[] words, long[] counts) {
        PieceTrie trie = trie(pieces);
        double[] expected = new double[pieces.size()];
        for (int w = 0; w < words.length; w++) {
            String word = words[w];
            int n = word.length();
            double[] alpha = new double[n + 1];
            double[] beta = new double[n + 1];
            Arrays.fill(alpha, Double.NEGATIVE_INFINITY);
            Arrays.fill(beta, Double.NEGATIVE_INFINITY);
            alpha[0] = 0;
            List<int[]> edges = new ArrayList<>(); // {start, end, piece}
            for (int start = 0; start < n; start++) {
                if (alpha[start] == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                int s0 = start;
                trie.matches(word, start, (end, id) -> {
                    edges.add(new int[] {s0, end, id});
                    alpha[end] = logAdd(alpha[end], alpha[s0] + scores[id]);
                });
            }
            double z = alpha[n];
            if (z == Double.NEGATIVE_INFINITY) {
                continue; // cannot happen while every character is a piece
            }
            beta[n] = 0;
            for (int e = edges.size() - 1; e >= 0; e--) {
                int[] edge = edges.get(e);
                beta[edge[0]] = logAdd(beta[edge[0]], scores[edge[2]] + beta[edge[1]]);
            }
            for (int[] edge : edges) {
                expected[edge[2]] += counts[w] * Math.exp(alpha[edge[0]] + scores[edge[2]] + beta[edge[1]] - z);
            }
        }
        return expected;
    }

    /** M-step: drops pieces expected less than half a time (never a character), scores digamma(c) - digamma(total). */
    private static Vocabulary reestimate(List<String> pieces, double[] expected, int required) {
        List<String> kept = new ArrayList<>();
        List<Double> freq = new ArrayList<>();
        double total = 0;
        for (int i = 0; i < pieces.size(); i++) {
            if (i < required || expected[i] >= 0.5) {
                kept.add(pieces.get(i));
                double f = Math.max(expected[i], 1e-3);
                freq.add(f);
                total += f;
            }
        }
        double[] scores = new double[kept.size()];
        double dt = digamma(total);
        for (int i = 0; i < scores.length; i++) {
            scores[i] = digamma(freq.get(i)) - dt;
        }
        return new Vocabulary(kept, scores);
    }

    /**
     * Keeps the {@code keep} pieces whose removal would cost the most likelihood: a piece's Viterbi frequency would
     * move to the pieces that segment it without it (SentencePiece's PruneSentencePieces).
     */
    private static Vocabulary prune(List<String> pieces, double[] scores, int required, String[] words, long[] counts,
            int keep) {
        Model.Unigram model = new Model.Unigram(pieces, scores, 0);
        double[] freq = new double[pieces.size()];
        for (int w = 0; w < words.length; w++) {
            for (Model.Token t : model.tokenize(words[w])) {
                freq[t.id()] += counts[w];
            }
        }
        double sum = 0;
        for (double f : freq) {
            sum += f;
        }
        double logSum = Math.log(sum);
        double[] loss = new double[pieces.size()];
        for (int i = required; i < pieces.size(); i++) {
            if (freq[i] == 0) {
                loss[i] = 0;
                continue;
            }
            int[] alternative = secondBest(model, pieces.get(i), i);
            double altSum = sum + freq[i] * (alternative.length - 1);
            double logProbPiece = Math.log(freq[i]) - logSum;
            double logProbAlt = 0;
            for (int a : alternative) {
                logProbAlt += Math.log(freq[a] + freq[i]) - Math.log(altSum);
            }
            loss[i] = freq[i] * (logProbPiece - logProbAlt);
        }
        Integer[] order = new Integer[pieces.size() - required];
        for (int i = 0; i < order.length; i++) {
            order[i] = required + i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(loss[b], loss[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        List<String> kept = new ArrayList<>(pieces.subList(0, required));
        List<Double> keptScores = new ArrayList<>();
        for (int i = 0; i < required; i++) {
            keptScores.add(scores[i]);
        }
        for (int k = 0; k < order.length && kept.size() < keep; k++) {
            kept.add(pieces.get(order[k]));
            keptScores.add(scores[order[k]]);
        }
        return new Vocabulary(kept, keptScores.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The best segmentation of {@code piece} that does not use piece {@code self} itself. */
    private static int[] secondBest(Model.Unigram model, String piece, int self) {
        int n = piece.length();
        double[] best = new double[n + 1];
        int[] from = new int[n + 1];
        int[] id = new int[n + 1];
        Arrays.fill(best, Double.NEGATIVE_INFINITY);
        best[0] = 0;
        for (int start = 0; start < n; start++) {
            if (best[start] == Double.NEGATIVE_INFINITY) {
                continue;
            }
            for (int end = start + 1; end <= n; end++) {
                Integer p = model.vocab().get(piece.substring(start, end));
                if (p == null || p == self) {
                    continue;
                }
                double candidate = best[start] + model.score(p);
                if (candidate > best[end]) {
                    best[end] = candidate;
                    from[end] = start;
                    id[end] = p;
                }
            }
        }
        List<Integer> out = new ArrayList<>();
        for (int at = n; at > 0; at = from[at]) {
            out.add(id[at]);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static double logAdd(double a, double b) {
        if (a == Double.NEGATIVE_INFINITY) {
            return b;
        }
        if (b == Double.NEGATIVE_INFINITY) {
            return a;
        }
        double max = Math.max(a, b);
        return max + Math.log1p(Math.exp(-Math.abs(a - b)));
    }

    /** The digamma function: the recurrence up to 6, then its asymptotic series. */
    static double digamma(double x) {
        double result = 0;
        while (x < 6) {
            result -= 1 / x;
            x += 1;
        }
        double f = 1 / (x * x);
        return result + Math.log(x) - 0.5 / x
                - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
    }
}
