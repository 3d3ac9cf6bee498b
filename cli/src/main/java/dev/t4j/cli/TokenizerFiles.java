package dev.t4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Puts a tokenizer beside a saved model, so the model folder loads on its own (as a Hugging Face folder does). */
final class TokenizerFiles {
    private TokenizerFiles() {}

    /** Every file Hugging Face and t4j read a tokenizer from. */
    private static final String[] NAMES = {"tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "spiece.model",
        "tokenizer_config.json", "special_tokens_map.json"};

    /** Copies the tokenizer files of folder {@code from}, or the single file {@code from}, into {@code toDir}. */
    static void copy(Path from, Path toDir) {
        try {
            Files.createDirectories(toDir);
            if (Files.isDirectory(from)) {
                for (String name : NAMES) {
                    if (Files.isRegularFile(from.resolve(name))) {
                        Files.copy(from.resolve(name), toDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } else if (!from.toAbsolutePath().normalize().equals(toDir.resolve(from.getFileName()).toAbsolutePath()
                    .normalize())) {
                Files.copy(from, toDir.resolve(from.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the tokenizer " + from + " to " + toDir + ": " + e.getMessage(), e);
        }
    }
}
