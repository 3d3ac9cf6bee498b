package dev.t4j.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.t4j.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encoding speed on Tiny Shakespeare, single thread, cold: every pass uses a freshly loaded tokenizer, so word
 * caches start empty (loading is not timed). t4j encodes line by line; Hugging Face tokenizers (Rust, through DJL's
 * JNI binding) gets the whole text in one call, so no per-call JNI cost is charged to it. t4j's SentencePiece for
 * t5-small has its peer, spm_encode, timed by bench/tokenizers.sh. Best of 3 passes after a warm-up; tokens/s.
 */
public final class TokenizerThroughput {
    private TokenizerThroughput() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        List<String> lines = Files.readAllLines(root.resolve("data/corpora/tinyshakespeare/input.txt"));
        for (String name : List.of("gpt2", "bert-base-uncased", "t5-small")) {
            Path dir = root.resolve("data/tokenizers/" + name);
            double t4j = best(() -> Tokenizer.load(dir), tok -> {
                long n = 0;
                for (String l : lines) {
                    n += ((Tokenizer) tok).encode(l).length();
                }
                return n;
            });
            String ref = "-";
            if (Files.exists(dir.resolve("tokenizer.json"))) {
                String text = String.join("\n", lines);
                Path json = dir.resolve("tokenizer.json");
                ref = String.format(Locale.ROOT, "%.0f", best(() -> HuggingFaceTokenizer.newInstance(json,
                        Map.of("truncation", "false", "padding", "false")), tok -> {
                            try (HuggingFaceTokenizer hf = (HuggingFaceTokenizer) tok) {
                                return hf.encode(text).getIds().length;
                            }
                        }));
            }
            System.out.printf(Locale.ROOT, "| %s | %.0f | %s |%n", name, t4j, ref);
        }
    }

    interface Make {
        Object make() throws Exception;
    }

    interface Pass {
        long run(Object tokenizer) throws Exception;
    }

    private static double best(Make make, Pass p) throws Exception {
        p.run(make.make());
        double best = 0;
        for (int i = 0; i < 3; i++) {
            Object tok = make.make();
            long t0 = System.nanoTime();
            long n = p.run(tok);
            best = Math.max(best, n / ((System.nanoTime() - t0) / 1e9));
        }
        return best;
    }
}
