package dev.t4j.bert;

import dev.t4j.tensor.Generator;
import java.util.ArrayList;
import java.util.List;

/**
 * Sentence pairs for next-sentence prediction, as in the BERT paper: for each sentence A that has a successor in its
 * document, half the time B is that successor (label 0, "is next"), half the time a sentence drawn from another
 * document (label 1, "random").
 */
public final class NextSentencePairs {
    /** A pair and its label: 0 when B follows A, 1 when B is random. */
    public record Pair(String a, String b, int label) {}

    private NextSentencePairs() {}

    public static List<Pair> build(List<List<String>> documents, Generator gen) {
        if (documents.size() < 2) {
            throw new IllegalArgumentException("next-sentence pairs need at least two documents, got " + documents.size());
        }
        List<Pair> out = new ArrayList<>();
        for (int d = 0; d < documents.size(); d++) {
            List<String> doc = documents.get(d);
            for (int i = 0; i + 1 < doc.size(); i++) {
                if (gen.nextDouble() < 0.5) {
                    out.add(new Pair(doc.get(i), doc.get(i + 1), 0));
                } else {
                    int other;
                    do {
                        other = gen.nextInt(documents.size());
                    } while (other == d || documents.get(other).isEmpty());
                    List<String> od = documents.get(other);
                    out.add(new Pair(doc.get(i), od.get(gen.nextInt(od.size())), 1));
                }
            }
        }
        return out;
    }

    /** Splits a paragraph into sentences at ". ", "! " or "? " (WikiText writes " . " between tokens). */
    public static List<String> sentences(String paragraph) {
        List<String> out = new ArrayList<>();
        for (String s : paragraph.split("(?<=[.!?])\\s+")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }
}
