package dev.t4j.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NextSentencePairsTest {
    @Test
    void halfThePairsAreRealSuccessorsAndTheOtherHalfComeFromOtherDocuments() {
        List<List<String>> docs = new ArrayList<>();
        for (int d = 0; d < 200; d++) {
            List<String> doc = new ArrayList<>();
            for (int s = 0; s < 10; s++) {
                doc.add("d" + d + "s" + s);
            }
            docs.add(doc);
        }
        var pairs = NextSentencePairs.build(docs, new Generator(1));
        assertThat(pairs).hasSize(200 * 9);
        int next = 0;
        for (var p : pairs) {
            String docA = p.a().substring(0, p.a().indexOf('s'));
            String docB = p.b().substring(0, p.b().indexOf('s'));
            if (p.label() == 0) {
                next++;
                int sa = Integer.parseInt(p.a().substring(p.a().indexOf('s') + 1));
                assertThat(p.b()).isEqualTo(docA + "s" + (sa + 1));
            } else {
                assertThat(docB).isNotEqualTo(docA);
            }
        }
        assertThat((double) next / pairs.size()).isCloseTo(0.5, within(0.03));
        assertThat(NextSentencePairs.sentences("The cat sat . It left ! Why ?")).containsExactly("The cat sat .",
                "It left !", "Why ?");
    }

    @Test
    void pairSequencesCarryTypesAndTrainBothHeads() {
        Tokenizer tok = Tokenizer.load(Path.of(System.getProperty("t4j.root"), "data/tokenizers/bert-base-uncased"));
        var items = BertPretraining.pairs(tok, List.of(new NextSentencePairs.Pair("the cat sat", "it left", 0),
                new NextSentencePairs.Pair("a very long first sentence with many words in it", "short", 1)), 10);
        assertThat(items.get(0).ids()).containsExactly(101, 1996, 4937, 2938, 102, 2009, 2187, 102);
        assertThat(items.get(0).types()).containsExactly(0, 0, 0, 0, 0, 1, 1, 1);
        assertThat(items.get(1).ids()).hasSize(10); // the longer sentence lost tokens first
        assertThat(items.get(1).nextLabel()).isEqualTo(1);
        try (Scope s = Scope.open("test")) {
            BertConfig c = new BertConfig(tok.vocabSize(), 32, 1, 2, 64, "gelu", 0, 0, 16, 2, 1e-12, 2, Map.of());
            BertForMaskedLM model = new BertForMaskedLM(c, new Generator(2), true);
            var mlm = new MaskedLanguageModeling(0.5, 103, tok.vocabSize(), id -> id == 101 || id == 102 || id == 0,
                    id -> false, false);
            BertPretraining task = new BertPretraining(model, items, items, mlm, 2, 0, 1);
            task.trainLoss(new Generator(3)).backward();
            assertThat(model.namedParameters()).containsKeys("cls.seq_relationship.weight", "bert.pooler.dense.weight");
            assertThat(model.namedParameters().get("cls.seq_relationship.weight").grad()).isNotNull();
            assertThat(model.namedParameters().get("cls.predictions.bias").grad()).isNotNull();
        }
    }
}
