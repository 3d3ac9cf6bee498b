package dev.t4j.t5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.metrics.Rouge;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummarizationTest {
    @Test
    void splitsTheBundledPairsDeterministicallyAndScoresLead3() {
        var splits = Summarization.read(Path.of(System.getProperty("t4j.root"),
                "data/summarization/cnn_dailymail/validation_1000.csv"));
        assertThat(splits.train()).hasSize(800);
        assertThat(splits.dev()).hasSize(100);
        assertThat(splits.test()).hasSize(100);
        assertThat(splits.train().getFirst().article()).startsWith("(CNN)Share, and your gift will be multiplied.");
        List<String> leads = splits.test().stream().map(p -> Summarization.lead3(p.article())).toList();
        List<String> refs = splits.test().stream().map(Summarization.Pair::summary).toList();
        Rouge.Scores lead3 = Rouge.mean(leads, refs);
        // lead-3 scores ROUGE-1 about 40 on the full CNN/DailyMail test set; these 100 pairs, many opinion pieces, less
        assertThat(lead3.rouge1()).isBetween(0.20, 0.50);
        assertThat(lead3.rouge2()).isBetween(0.05, 0.25);
        System.out.println("lead-3 on the 100 test pairs: " + lead3);
    }

    @Test
    void lead3TakesThreeSentences() {
        assertThat(Summarization.lead3("One. Two! Three? Four. Five.")).isEqualTo("One.\nTwo!\nThree?");
        assertThat(Summarization.lead3("Only one sentence here")).isEqualTo("Only one sentence here");
    }
}
