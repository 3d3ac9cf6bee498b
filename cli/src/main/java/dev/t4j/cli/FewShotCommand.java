package dev.t4j.cli;

import dev.t4j.data.Csv;
import dev.t4j.gpt.FewShot;
import dev.t4j.gpt.GPT2Checkpoint;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code t4j fewshot --model DIR}: GPT-3-style in-context classification of SST-2 sentiment with k demonstrations
 * (default k = 0, 1, 4) drawn from the training split (or --shots FILE), scoring " positive" and " negative" by
 * log-likelihood, accuracy on the first --limit dev sentences.
 */
final class FewShotCommand {
    private FewShotCommand() {}

    static int run(String[] argv, PrintStream out) {
        Args a = new Args(argv, 1, Set.of("model", "tokenizer", "task", "k", "limit", "shots", "seed"), Set.of());
        String model = a.get("model", null);
        if (model == null) {
            throw new Args.UsageException("fewshot needs --model DIR (a GPT-2 checkpoint; the bigger, the better: "
                    + "in-context learning is what scale buys)");
        }
        if (!"sst2".equals(a.get("task", "sst2"))) {
            throw new Args.UsageException("fewshot knows --task sst2");
        }
        Path dir = ModelLocation.resolve(model);
        Tokenizer tok = Tokenizer.load(a.get("tokenizer", null) != null ? Path.of(a.get("tokenizer", null)) : dir);
        GPT2LMHeadModel gpt = GPT2Checkpoint.load(dir);
        List<FewShot.Example> pool = examples(a.get("shots", null) != null ? Path.of(a.get("shots", null))
                : Home.path("data/classification/sst2/train.tsv"));
        List<FewShot.Example> dev = examples(Home.path("data/classification/sst2/dev.tsv"));
        dev = dev.subList(0, Math.min(dev.size(), a.getInt("limit", 200)));
        List<String> labels = List.of("negative", "positive");
        out.printf(Locale.ROOT, "%s on %d SST-2 dev sentences; demonstrations from %s%n", model, dev.size(),
                a.get("shots", "the SST-2 training split"));
        for (String k : a.get("k", "0,1,4").split(",")) {
            double acc = FewShot.accuracy(gpt, tok, pool, dev, Integer.parseInt(k.trim()), labels,
                    FewShot.Template.sentiment(), a.getInt("seed", 0));
            out.printf(Locale.ROOT, "k = %s: accuracy %.1f %%%n", k.trim(), 100 * acc);
        }
        return 0;
    }

    private static List<FewShot.Example> examples(Path tsv) {
        List<List<String>> rows = Csv.readTsv(tsv);
        int text = rows.getFirst().indexOf("sentence");
        int label = rows.getFirst().indexOf("label");
        if (text < 0 || label < 0) {
            throw new IllegalArgumentException(tsv + ": expected 'sentence' and 'label' columns");
        }
        List<FewShot.Example> out = new ArrayList<>();
        for (List<String> r : rows.subList(1, rows.size())) {
            String l = r.get(label).strip();
            out.add(new FewShot.Example(r.get(text).strip(), l.equals("1") ? "positive" : l.equals("0") ? "negative" : l));
        }
        return out;
    }
}
