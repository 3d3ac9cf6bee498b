package dev.t4j.cli;

import dev.t4j.json.Json;
import dev.t4j.tokenizer.SentencePiece;
import dev.t4j.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code t4j tokenize --tokenizer PATH [--input FILE] [--decode] [--no-special-tokens]}: one JSON array of ids per
 * input line (standard input by default), with the model's special tokens as Hugging Face adds them; with
 * {@code --decode}, one JSON array of ids per line back to text. {@code --save-json FILE} instead writes a
 * SentencePiece model as the tokenizer.json Hugging Face's converter makes of it.
 */
final class TokenizeCommand {
    private TokenizeCommand() {}

    static int run(String[] argv, InputStream stdin, PrintStream out) {
        Args a = new Args(argv, 1, Set.of("tokenizer", "input", "save-json"), Set.of("decode", "no-special-tokens"));
        String path = a.get("tokenizer", null);
        if (path == null) {
            throw new Args.UsageException("tokenize needs --tokenizer PATH (a tokenizer.json, a folder, or a spiece.model)");
        }
        Tokenizer tok = Tokenizer.load(Path.of(path));
        String saveJson = a.get("save-json", null);
        if (saveJson != null) {
            if (!(tok instanceof SentencePiece sp)) {
                throw new IllegalArgumentException("--save-json converts a SentencePiece model (spiece.model); "
                        + path + " is read as a " + tok.getClass().getSimpleName());
            }
            sp.writeTokenizerJson(Path.of(saveJson));
            out.println("wrote " + saveJson + " (Hugging Face's tokenizer.json layout for this SentencePiece model)");
            return 0;
        }
        boolean special = !a.flag("no-special-tokens");
        String input = a.get("input", null);
        try (BufferedReader in = input == null ? new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            StringBuilder buffer = new StringBuilder();
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (a.flag("decode")) {
                    buffer.append(decodeLine(tok, line, lineNo, special)).append('\n');
                } else {
                    List<Object> ids = new ArrayList<>();
                    for (int id : tok.encode(line, null, special).ids()) {
                        ids.add((long) id);
                    }
                    buffer.append(Json.write(ids)).append('\n');
                }
                if (buffer.length() > 1 << 16) {
                    out.print(buffer);
                    buffer.setLength(0);
                }
            }
            out.print(buffer);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + (input == null ? "standard input" : input) + ": "
                    + e.getMessage(), e);
        }
        out.flush();
        return 0;
    }

    private static String decodeLine(Tokenizer tok, String line, int lineNo, boolean keepSpecial) {
        Object parsed = Json.parse(line, "line " + lineNo);
        if (!(parsed instanceof List<?> list)) {
            throw new IllegalArgumentException("line " + lineNo + ": expected a JSON array of ids");
        }
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!(list.get(i) instanceof Long n)) {
                throw new IllegalArgumentException("line " + lineNo + ": element " + i + " is not an integer id");
            }
            ids[i] = n.intValue();
        }
        return tok.decode(ids, !keepSpecial);
    }
}
