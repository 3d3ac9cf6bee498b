package dev.t4j.t5;

import dev.t4j.data.Csv;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bundled CNN/DailyMail summarisation pairs, split deterministically (the first 80 % train, the next 10 % dev,
 * the last 10 % test, in file order), and the lead-3 baseline: the article's first three sentences.
 */
public final class Summarization {
    /** An article and its reference summary (the highlights, one sentence a line). */
    public record Pair(String article, String summary) {}

    /** train, dev and test. */
    public record Splits(List<Pair> train, List<Pair> dev, List<Pair> test) {}

    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?][\"')\\]]?)\\s+(?=[A-Z0-9\"'(])");

    private Summarization() {}

    public static Splits read(Path csv) {
        List<List<String>> rows = Csv.readCsv(csv);
        List<String> header = rows.getFirst();
        int article = header.indexOf("article");
        int highlights = header.indexOf("highlights");
        if (article < 0 || highlights < 0) {
            throw new IllegalArgumentException(csv + ": expected 'article' and 'highlights' columns, found " + header);
        }
        List<Pair> all = new ArrayList<>();
        for (List<String> r : rows.subList(1, rows.size())) {
            all.add(new Pair(r.get(article), r.get(highlights)));
        }
        int n = all.size();
        int train = n * 8 / 10;
        int dev = n * 9 / 10;
        return new Splits(all.subList(0, train), all.subList(train, dev), all.subList(dev, n));
    }

    /** The article's first three sentences, one a line (as the highlights are written). */
    public static String lead3(String article) {
        String text = article.replace("\n", " ").trim();
        List<String> sentences = new ArrayList<>();
        Matcher m = SENTENCE_END.matcher(text);
        int start = 0;
        while (sentences.size() < 3 && m.find()) {
            sentences.add(text.substring(start, m.start()).trim());
            start = m.end();
        }
        if (sentences.size() < 3 && start < text.length()) {
            sentences.add(text.substring(start).trim());
        }
        return String.join("\n", sentences);
    }
}
