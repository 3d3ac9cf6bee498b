package dev.t4j.cli;

import dev.t4j.parity.ParityCheck;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code t4j parity DIR...}: runs each folder in the hf-reference layout and compares every stored tensor with the
 * fixture's tolerance rule; one line per check, then "N passed, N failed"; exit status 1 on any failure.
 */
final class ParityCommand {
    private static final String USAGE = """
            usage: t4j parity DIR...

            Each DIR is a folder in the hf-reference layout (config.json, model.safetensors, expected.json,
            expected.bin; see fixtures/hf-reference/README.md): t4j runs the model on the chosen backend
            (-Dt4j.backend=cpu|cuda) and compares every stored tensor with the folder's tolerance rule, one line per
            check, then "N passed, N failed"; the exit status is 1 on any failure.""";

    private ParityCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args(argv, 1, Set.of(), Set.of("help"));
        if (a.flag("help")) {
            out.println(USAGE);
            return 0;
        }
        if (a.positional().isEmpty()) {
            throw new Args.UsageException("parity needs one or more folders (config.json, model.safetensors, "
                    + "expected.json, expected.bin), e.g. fixtures/hf-reference/gpt2");
        }
        int passed = 0;
        int failed = 0;
        for (String d : a.positional()) {
            Path dir = Path.of(d);
            out.println("== " + dir);
            if (!Files.isRegularFile(dir.resolve("expected.json"))) {
                out.println("FAIL " + dir + ": no expected.json here (not a reference folder)");
                failed++;
                continue;
            }
            try {
                for (ParityCheck.Check c : ParityCheck.run(dir)) {
                    out.println(c);
                    if (c.passed()) {
                        passed++;
                    } else {
                        failed++;
                    }
                }
            } catch (RuntimeException e) {
                out.println("FAIL " + dir + ": " + e.getMessage());
                failed++;
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
