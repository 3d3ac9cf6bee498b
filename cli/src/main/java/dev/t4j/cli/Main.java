package dev.t4j.cli;

import java.io.PrintStream;
import java.util.Locale;

/** The {@code t4j} command. */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: t4j COMMAND [OPTIONS]

            commands:
              pretrain   gpt: train a small GPT on the bundled Tiny Shakespeare (the main job): BPE tokenizer,
                         progress bar, validation, HF checkpoint, loss plot, sample; see `t4j pretrain gpt --help`
              pretrain   bert: masked-LM pretraining of a small BERT on the bundled WikiText-2
                         t5: span-corruption pretraining of a small T5 on WikiText-2; `t4j pretrain t5 --help`
              finetune   bert --task sst2: fine-tune for classification (GLUE SST-2, or --train/--dev files),
                         beside a bag-of-words baseline; see `t4j finetune bert --help`
                         t5 --task summarize: CNN/DailyMail with ROUGE beside lead-3; `t4j finetune t5 --help`
              predict    --model DIR --text TEXT [--pair TEXT] | --input FILE: classify with a fine-tuned BERT;
                         one JSON object (label, probabilities) per text
              fewshot    --model DIR: GPT-3-style k-shot SST-2 sentiment by log-likelihood, k = 0, 1, 4
              demo       train a small character-level Transformer written directly in tensor ops
              parity     DIR...: check checkpoints against Hugging Face reference outputs (logits, loss, every
                         gradient, hidden states, generation); one line per check, then "N passed, N failed"
              tokenize   --tokenizer PATH [--input FILE] [--decode]: one JSON array of ids per line (stdin by
                         default), special tokens added as Hugging Face does; --decode turns arrays back to text
              train-tokenizer --type bpe|wordpiece|unigram [--corpus FILE] [--vocab N]: a GPT-2, BERT or T5
                         style tokenizer from a corpus, written as a Hugging Face tokenizer.json
              generate   --model DIR --prompt TEXT: continue a prompt with a GPT-2 checkpoint (greedy, sampling,
                         top-k/p, min-p, repetition penalty, stop strings, beams), streaming; with a T5
                         checkpoint --input TEXT: text to text (summarize: ...); see `t4j generate --help`
              backends   list the compute backends on the classpath, which one is chosen, and why others are not
              help       this text

            environment: T4J_BACKEND / -Dt4j.backend=NAME forces a backend; T4J_NUM_THREADS / -Dt4j.threads=N
            sets the CPU thread count.
            """;

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Locale.setDefault(Locale.ROOT);
        if (argv.length == 0) {
            err.print(USAGE);
            return 2;
        }
        try {
            return switch (argv[0]) {
                case "backends" -> BackendsCommand.run(argv, out);
                case "demo" -> DemoCommand.run(argv, out, err);
                case "pretrain" -> PretrainCommand.run(argv, out, err);
                case "finetune" -> {
                    if (argv.length >= 2 && argv[1].equals("t5")) {
                        yield T5Commands.finetune(argv, out);
                    }
                    if (argv.length < 2 || !argv[1].equals("bert")) {
                        throw new Args.UsageException("finetune needs a family: `t4j finetune bert` or `t4j finetune t5`");
                    }
                    yield BertCommands.finetune(argv, out);
                }
                case "parity" -> ParityCommand.run(argv, out, err);
                case "tokenize" -> TokenizeCommand.run(argv, System.in, out);
                case "train-tokenizer" -> TrainTokenizerCommand.run(argv, out);
                case "predict" -> BertCommands.predict(argv, out);
                case "fewshot" -> FewShotCommand.run(argv, out);
                case "generate" -> GenerateCommand.run(argv, out, err);
                case "help", "--help", "-h" -> {
                    out.print(USAGE);
                    yield 0;
                }
                default -> throw new Args.UsageException("unknown command '" + argv[0] + "'");
            };
        } catch (Args.UsageException e) {
            err.println("t4j: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (RuntimeException e) {
            // Guice wraps what a provider threw (an unavailable backend) in pages of its own; the cause says it all
            Throwable shown = e instanceof com.google.inject.ProvisionException && e.getCause() != null ? e.getCause() : e;
            err.println("t4j " + argv[0] + ": " + shown.getMessage());
            if (System.getenv("T4J_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }
}
