package dev.t4j.t5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextToTextTest {
    static final Tokenizer T5 = Tokenizer.load(Path.of(System.getProperty("t4j.root"), "data/tokenizers/t5-small"));

    @Test
    void overLongTargetsAreNamedAndInputsCutOnlyWhenAllowed() {
        var pairs = List.of(new TextToText.Pair("summarize: a b c", "short"),
                new TextToText.Pair("summarize: x", "one two three four five six seven eight"));
        assertThatThrownBy(() -> TextToText.encode(T5, pairs, 512, 4, true, "train"))
                .hasMessageContaining("train pair 2").hasMessageContaining("more than the maximum of 4");
        assertThatThrownBy(() -> TextToText.encode(T5, pairs, 3, 64, false, "dev"))
                .hasMessageContaining("dev pair 1").hasMessageContaining("allow truncation");
        var cut = TextToText.encode(T5, pairs, 3, 64, true, "train");
        assertThat(cut.getFirst()[0]).hasSize(3).endsWith(1L); // still ends with </s>
    }

    @Test
    void aTinyT5LearnsToCopyShortTexts() {
        try (Scope s = Scope.open("test")) {
            T5Config c = new T5Config(32128, 64, 16, 128, 1, 1, 4, 32, 128, 0.0, 1e-6, "relu", true, 0, 0, 1, java.util.Map.of());
            T5ForConditionalGeneration model = new T5ForConditionalGeneration(c, new Generator(3));
            var pairs = List.of(new TextToText.Pair("copy: red", "red"), new TextToText.Pair("copy: blue", "blue"),
                    new TextToText.Pair("copy: green", "green"));
            TextToText task = new TextToText(model, T5, pairs, pairs, 16, 8, false, 3);
            var opt = new dev.t4j.optim.Adafactor(model.parameters(), 1e-2, false, false, null, 0);
            double first = task.evalLoss();
            Generator g = new Generator(4);
            for (int i = 0; i < 60; i++) {
                try (Scope step = Scope.open("step")) {
                    task.trainLoss(g).backward();
                    opt.step();
                    opt.zeroGrad();
                }
            }
            assertThat(task.evalLoss()).isLessThan(first * 0.2);
        }
    }
}
