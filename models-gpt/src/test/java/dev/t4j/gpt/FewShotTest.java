package dev.t4j.gpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.BpeTrainer;
import dev.t4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FewShotTest {
    static final FewShot.Template T = FewShot.Template.sentiment();

    @Test
    void promptsFollowTheTemplate() {
        String p = FewShot.prompt(List.of(new FewShot.Example("great", "positive"), new FewShot.Example("awful", "negative")),
                "fine", T);
        assertThat(p).isEqualTo("Review: great\nSentiment: positive\n\nReview: awful\nSentiment: negative\n\n"
                + "Review: fine\nSentiment:");
        assertThat(FewShot.prompt(List.of(), "fine", T)).isEqualTo("Review: fine\nSentiment:");
    }

    @Test
    void scoresAreTheCandidatesLogLikelihoodAfterThePrompt() {
        // the bundled random GPT-2 (vocabulary 1,000) with a byte-level BPE of 400 tokens trained here
        Tokenizer tok = BpeTrainer.train("Review: a fine film\nSentiment: positive\n\nReview: a dull film\nSentiment: "
                + "negative\n".repeat(20), 400, List.of()).tokenizer();
        try (Scope s = Scope.open("test")) {
            GPT2LMHeadModel model = GPT2Checkpoint.load(Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/gpt2"));
            model.eval();
            String prompt = FewShot.prompt(List.of(new FewShot.Example("a fine film", "positive")), "a dull film", T);
            double[] scores = FewShot.score(model, tok, prompt, List.of("positive", "negative"), T);
            int[] p = tok.encode(prompt, null, false).ids();
            int[] c = tok.encode(" negative", null, false).ids();
            long[] ids = new long[p.length + c.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i < p.length ? p[i] : c[i - p.length];
            }
            double expected = 0;
            try (var g = GradMode.noGrad()) {
                Tensor lp = model.forward(Tensor.of(ids, 1, ids.length), null, false).logits().logSoftmax(-1);
                for (int i = 0; i < c.length; i++) {
                    expected += lp.get(0, p.length - 1 + i, c[i]);
                }
            }
            assertThat(scores[1]).isCloseTo(expected, within(1e-4));
            String answer = FewShot.classify(model, tok, List.of(new FewShot.Example("a fine film", "positive")),
                    "a dull film", List.of("positive", "negative"), T);
            assertThat(answer).isEqualTo(scores[0] >= scores[1] ? "positive" : "negative");
        }
    }
}
