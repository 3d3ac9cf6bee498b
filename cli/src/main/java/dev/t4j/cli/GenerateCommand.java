package dev.t4j.cli;

import dev.t4j.gpt.GPT2Checkpoint;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.gpt.GenerationConfig;
import dev.t4j.gpt.TextGeneration;
import dev.t4j.model.ModelFamilies;
import dev.t4j.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code t4j generate --model DIR --prompt TEXT}: streams a continuation from a GPT-2 checkpoint. */
final class GenerateCommand {
    private GenerateCommand() {}

    private static final String HELP = """
            usage: t4j generate --model DIR --prompt TEXT [--tokenizer PATH] [--max-new-tokens N] [--greedy]
                                [--temperature X] [--top-k N] [--top-p X] [--min-p X] [--repetition-penalty X]
                                [--no-repeat-ngram N] [--stop TEXT] [--seed N] [--no-cache]

            DIR holds config.json and model.safetensors (Hugging Face layout) and, unless --tokenizer is given, the
            tokenizer (tokenizer.json, or vocab.json + merges.txt). Sampling is the default (temperature 1.0,
            top-k 50, as Hugging Face's pipeline); --greedy picks the most likely token each step. The text is
            printed as it is generated.
            """;

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args(argv, 1, Set.of("model", "prompt", "tokenizer", "max-new-tokens", "temperature", "top-k",
                "top-p", "min-p", "repetition-penalty", "no-repeat-ngram", "stop", "seed"),
                Set.of("greedy", "no-cache", "help"));
        if (a.flag("help")) {
            out.print(HELP);
            return 0;
        }
        String model = a.get("model", null);
        String prompt = a.get("prompt", null);
        if (model == null || prompt == null) {
            throw new Args.UsageException("generate needs --model DIR and --prompt TEXT");
        }
        Path dir = Path.of(model);
        String family = ModelFamilies.forCheckpoint(dir).name();
        if (!family.equals("gpt")) {
            throw new IllegalArgumentException(dir + " holds a " + family + " checkpoint; t4j generate runs decoder-only "
                    + "(GPT) models so far");
        }
        Tokenizer tok = Tokenizer.load(Path.of(a.get("tokenizer", model)));
        GPT2LMHeadModel gpt = GPT2Checkpoint.load(dir);
        int[] ids = tok.encode(prompt).ids();
        long[] promptIds = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            promptIds[i] = ids[i];
        }
        List<Long> stops = new ArrayList<>();
        String stop = a.get("stop", null);
        int eos = tok.tokenToId("<|endoftext|>");
        if (eos >= 0) {
            stops.add((long) eos);
        }
        GenerationConfig c = GenerationConfig.greedy(a.getInt("max-new-tokens", 50))
                .withRepetitionPenalty(a.getDouble("repetition-penalty", 1.0), a.getInt("no-repeat-ngram", 0))
                .withStopTokens(stops).withCache(!a.flag("no-cache"));
        if (!a.flag("greedy")) {
            c = c.sampling(a.getDouble("temperature", 1.0), a.getInt("top-k", 50), a.getDouble("top-p", 1.0),
                    a.getInt("seed", 0)).withMinP(a.getDouble("min-p", 0));
        }
        List<Integer> generated = new ArrayList<>();
        StringBuilder shown = new StringBuilder();
        out.print(prompt);
        boolean[] stopped = {false};
        TextGeneration.generate(gpt, promptIds, c, id -> {
            if (stopped[0]) {
                return;
            }
            generated.add((int) id);
            String text = tok.decode(generated.stream().mapToInt(Integer::intValue).toArray(), true);
            if (stop != null && text.contains(stop)) {
                text = text.substring(0, text.indexOf(stop));
                stopped[0] = true;
            }
            if (text.length() > shown.length() && !text.endsWith("\uFFFD")) {
                out.print(text.substring(shown.length()));
                out.flush();
                shown.setLength(0);
                shown.append(text);
            }
        });
        out.println();
        return 0;
    }
}
