package dev.t4j.t5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.tensor.Generator;
import dev.t4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class T5PretrainingTest {
    static final Path ROOT = Path.of(System.getProperty("t4j.root"));
    static final int VOCAB = 64;
    static final int EOS = 1;
    static final int SENTINEL0 = VOCAB - 1;

    @Test
    void sentinelsComeFromTheTokenizerAndMissingOnesAreNamed() {
        Tokenizer t5 = Tokenizer.load(ROOT.resolve("data/tokenizers/t5-small"));
        SpanCorruption sc = SpanCorruption.forTokenizer(t5, 0.15, 3.0, 128);
        var ex = sc.apply(new long[] {10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, new Generator(1));
        assertThat(ex.target()[0]).isEqualTo(t5.tokenToId("<extra_id_0>"));
        assertThat(ex.input()[ex.input().length - 1]).isEqualTo(t5.tokenToId("</s>"));
        for (int k = 0; k < ex.target().length; k++) { // hidden marks the original tokens, not sentinels or </s>
            assertThat(ex.hidden()[k]).isEqualTo(ex.target()[k] >= 10 && ex.target()[k] <= 19);
        }
        // t5-small has 100 sentinels; inputs of 2,000 tokens need 109 spans
        assertThatThrownBy(() -> SpanCorruption.forTokenizer(t5, 0.15, 3.0, 2000))
                .hasMessageContaining("<extra_id_100>").hasMessageContaining("sentinels");
        Tokenizer bert = Tokenizer.load(ROOT.resolve("data/tokenizers/bert-base-uncased"));
        assertThatThrownBy(() -> SpanCorruption.forTokenizer(bert, 0.15, 3.0, 128)).hasMessageContaining("</s>");
    }

    /** A stream that repeats a 16-token phrase: hidden spans are predictable from their context. */
    static int[] periodic(int length) {
        int[] out = new int[length];
        for (int i = 0; i < length; i++) {
            out[i] = 2 + (i * 7) % 16;
        }
        return out;
    }

    static T5ForConditionalGeneration tinyModel() {
        T5Config c = new T5Config(VOCAB, 32, 8, 64, 1, 1, 4, 32, 128, 0.0, 1e-6, "relu", true, 0, 0, EOS, Map.of());
        return new T5ForConditionalGeneration(c, new Generator(5));
    }

    @Test
    void examplesFillTheInputExactlyAndTrainingBeatsTheUnigramBaseline() {
        try (Scope s = Scope.open("test")) {
            T5ForConditionalGeneration model = tinyModel();
            SpanCorruption sc = new SpanCorruption(0.15, 3.0, EOS, SENTINEL0);
            T5Pretraining task = new T5Pretraining(model, periodic(4000), periodic(600), sc, 32, 8, 2);
            assertThat(task.heldOut()).hasSize(16).allSatisfy(e -> assertThat(e.input()).hasSize(32));
            double baseline = task.unigramBaseline();
            T5Pretraining.Evaluation before;
            try (var g = GradMode.noGrad()) {
                before = task.evaluate();
                assertThat(task.evaluate()).isEqualTo(before); // the held-out corruption is fixed
            }
            AdamW opt = new AdamW(model.parameters(), 1e-2, 0.9, 0.99, 1e-8, 0.0);
            Generator data = new Generator(6);
            for (int i = 0; i < 200; i++) {
                try (Scope step = Scope.open("step")) {
                    task.trainLoss(data).backward();
                    opt.step();
                    opt.zeroGrad();
                }
            }
            T5Pretraining.Evaluation after;
            try (var g = GradMode.noGrad()) {
                after = task.evaluate();
            }
            assertThat(after.targetTokens()).isEqualTo(before.targetTokens());
            assertThat(after.loss()).isLessThan(baseline).isLessThan(before.loss() / 2);
            assertThat(after.accuracy()).isGreaterThan(before.accuracy()).isGreaterThan(0.5);
            assertThat(after.hiddenAccuracy()).isGreaterThan(before.hiddenAccuracy()).isGreaterThan(0.3);
        }
    }

    @Test
    void tooShortASplitIsAClearError() {
        try (Scope s = Scope.open("test")) {
            T5ForConditionalGeneration model = tinyModel();
            SpanCorruption sc = new SpanCorruption(0.15, 3.0, EOS, SENTINEL0);
            assertThatThrownBy(() -> new T5Pretraining(model, periodic(4000), periodic(20), sc, 32, 8, 2))
                    .hasMessageContaining("20 held-out tokens");
        }
    }
}
