package dev.t4j.cli;

import dev.t4j.gpt.GPT2Checkpoint;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.generation.GenerationConfig;
import dev.t4j.gpt.TextGeneration;
import dev.t4j.model.ModelFamilies;
import dev.t4j.nn.WeightStorage;
import dev.t4j.t5.T5Checkpoint;
import dev.t4j.t5.T5ForConditionalGeneration;
import dev.t4j.t5.T5Generation;
import dev.t4j.tensor.DType;
import dev.t4j.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code t4j generate}: streams a continuation from a GPT-2 checkpoint, or a T5 output for an input text. */
final class GenerateCommand {
    private GenerateCommand() {}

    private static final String HELP = """
            usage: t4j generate --model DIR|ORG/NAME (--prompt TEXT | --input TEXT) [--tokenizer PATH] [--max-new-tokens N] [--greedy]
                                [--temperature X] [--top-k N] [--top-p X] [--min-p X] [--repetition-penalty X]
                                [--no-repeat-ngram N] [--stop TEXT] [--seed N] [--no-cache]
                                [--beams N [--length-penalty X]] [--dtype float32|bfloat16]

            DIR holds config.json and model.safetensors (Hugging Face layout) and, unless --tokenizer is given, the
            tokenizer (tokenizer.json, or vocab.json + merges.txt). Sampling is the default (temperature 1.0,
            top-k 50, as Hugging Face's pipeline); --greedy picks the most likely token each step. The text is
            printed as it is generated. --beams N runs beam search instead (length penalty 1.0 by default, as
            Hugging Face) and prints the best hypothesis at the end. A T5 folder (model_type t5) takes --input: the text is encoded and the decoder
            writes the output text (with its decoder and cross-attention caches). --dtype bfloat16 stores the weight
            matrices in 16 bits (compute stays float32): half the memory, and about 1.7-1.9x the tokens/s of float32
            on CPU, where generating is bound by streaming the weights.
            """;

    private static GenerationConfig config(Args a, List<Long> stops) {
        GenerationConfig c = GenerationConfig.greedy(a.getInt("max-new-tokens", 50))
                .withRepetitionPenalty(a.getDouble("repetition-penalty", 1.0), a.getInt("no-repeat-ngram", 0))
                .withStopTokens(stops).withCache(!a.flag("no-cache"));
        if (!a.flag("greedy")) {
            c = c.sampling(a.getDouble("temperature", 1.0), a.getInt("top-k", 50), a.getDouble("top-p", 1.0),
                    a.getInt("seed", 0)).withMinP(a.getDouble("min-p", 0));
        }
        return c;
    }

    private static DType weights(Args a) {
        DType t;
        try {
            t = WeightStorage.parse(a.get("dtype", "float32"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("--dtype: " + e.getMessage());
        }
        if (t == DType.F16) { // correct, but the CPU runtime would run every product on its scalar reference path
            throw new Args.UsageException("--dtype float16: the CPU runtime widens bfloat16 weights as it reads them but "
                    + "not float16 ones yet; use --dtype bfloat16");
        }
        return t;
    }

    private static void checkVocabulary(Tokenizer tok, int modelVocab, Path dir) {
        if (tok.vocabSize() > modelVocab) {
            throw new IllegalArgumentException("the tokenizer has " + tok.vocabSize() + " tokens but the model in " + dir
                    + " only " + modelVocab + ": they do not belong together (pass the model's own --tokenizer)");
        }
    }

    /** Encoder-decoder generation: the input text in, the decoder's text out, streamed. */
    private static int t5(Args a, Path dir, String input, DType weights, PrintStream out) {
        Tokenizer tok = Tokenizer.load(Path.of(a.get("tokenizer", dir.toString())));
        T5ForConditionalGeneration model;
        try (var w = WeightStorage.set(weights)) {
            model = T5Checkpoint.load(dir);
        }
        checkVocabulary(tok, model.config.vocabSize(), dir);
        int[] ids = tok.encode(input).ids();
        long[] in = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            in[i] = ids[i];
        }
        if (a.get("beams", null) != null) {
            var best = T5Generation.beamSearch(model, in, a.getInt("beams", 4), a.getInt("max-new-tokens", 50),
                    a.getDouble("length-penalty", 1.0));
            out.println(tok.decode(java.util.Arrays.stream(best.tokens()).mapToInt(x -> (int) x).toArray(), true));
            return 0;
        }
        Streamer streamer = new Streamer(tok, out, null);
        T5Generation.generate(model, in, config(a, new ArrayList<>()), streamer::accept);
        out.println();
        return 0;
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args(argv, 1, Set.of("model", "prompt", "input", "tokenizer", "max-new-tokens", "temperature", "top-k",
                "top-p", "min-p", "repetition-penalty", "no-repeat-ngram", "stop", "seed", "beams", "length-penalty", "dtype"),
                Set.of("greedy", "no-cache", "help"));
        if (a.flag("help")) {
            out.print(HELP);
            return 0;
        }
        String model = a.get("model", null);
        String prompt = a.get("prompt", a.get("input", null));
        if (model == null || prompt == null) {
            throw new Args.UsageException("generate needs --model DIR and --prompt TEXT (or --input TEXT for T5)");
        }
        DType weights = weights(a); // a bad --dtype is reported before anything is loaded
        Path dir = ModelLocation.resolve(model);
        String family = ModelFamilies.forCheckpoint(dir).name();
        if (family.equals("t5")) {
            return t5(a, dir, prompt, weights, out);
        }
        if (!family.equals("gpt")) {
            throw new IllegalArgumentException(dir + " holds a " + family + " checkpoint: an encoder-only model does not "
                    + "generate text; t4j generate runs GPT and T5 models");
        }
        Tokenizer tok = Tokenizer.load(a.get("tokenizer", null) != null ? Path.of(a.get("tokenizer", null)) : dir);
        GPT2LMHeadModel gpt;
        try (var w = WeightStorage.set(weights)) {
            gpt = GPT2Checkpoint.load(dir);
        }
        checkVocabulary(tok, gpt.config.vocabSize(), dir);
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
        Path genConfig = dir.resolve("generation_config.json");
        if (java.nio.file.Files.isRegularFile(genConfig)) { // the model's own end tokens, as HF's generate uses them
            try {
                var json = dev.t4j.json.Json.parseObject(java.nio.file.Files.readString(genConfig), genConfig.toString());
                for (long id : GenerationConfig.fromHuggingFace(json, GenerationConfig.greedy(1)).stopTokens()) {
                    if (!stops.contains(id)) {
                        stops.add(id);
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + genConfig + ": " + e.getMessage(), e);
            }
        }
        if (a.get("beams", null) != null) {
            var best = TextGeneration.beamSearch(gpt, promptIds, a.getInt("beams", 4), a.getInt("max-new-tokens", 50),
                    a.getDouble("length-penalty", 1.0), stops.stream().mapToLong(Long::longValue).toArray());
            out.println(prompt + tok.decode(java.util.Arrays.stream(best.tokens()).mapToInt(x -> (int) x).toArray(), true));
            return 0;
        }
        GenerationConfig c = config(a, stops);
        out.print(prompt);
        Streamer streamer = new Streamer(tok, out, stop);
        TextGeneration.generate(gpt, promptIds, c, streamer::accept);
        out.println();
        return 0;
    }

    /**
     * Prints generated text as it grows: the whole generation is decoded each time and only the new suffix printed,
     * so multi-byte characters split across tokens appear once complete; stops printing at a stop string.
     */
    private static final class Streamer {
        private final Tokenizer tok;
        private final PrintStream out;
        private final String stop;
        private final List<Integer> generated = new ArrayList<>();
        private int shown;
        private boolean stopped;

        Streamer(Tokenizer tok, PrintStream out, String stop) {
            this.tok = tok;
            this.out = out;
            this.stop = stop;
        }

        void accept(long id) {
            if (stopped) {
                return;
            }
            generated.add((int) id);
            String text = tok.decode(generated.stream().mapToInt(Integer::intValue).toArray(), true);
            if (stop != null && text.contains(stop)) {
                text = text.substring(0, text.indexOf(stop));
                stopped = true;
            }
            if (text.length() > shown && !text.endsWith("\uFFFD")) {
                out.print(text.substring(shown));
                out.flush();
                shown = text.length();
            }
        }
    }
}
