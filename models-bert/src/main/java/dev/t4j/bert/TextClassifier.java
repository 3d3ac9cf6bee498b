package dev.t4j.bert;

import dev.t4j.autograd.GradMode;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Tensor;
import dev.t4j.tokenizer.Encoding;
import dev.t4j.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classifies text with a fine-tuned BertForSequenceClassification folder: the label with the highest probability
 * and every label's probability, label names taken from config.json's id2label.
 */
public final class TextClassifier {
    /** One prediction: the winning label and the probability of each label. */
    public record Prediction(String label, Map<String, Double> probabilities) {}

    private final BertForSequenceClassification model;
    private final Tokenizer tokenizer;
    private final List<String> labels = new ArrayList<>();

    public TextClassifier(Path dir) {
        BertConfig config = BertCheckpoint.config(dir);
        this.model = BertCheckpoint.loadSequenceClassification(dir);
        this.model.eval();
        Path tok = Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("vocab.txt"))
                ? dir : null;
        if (tok == null) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json or vocab.txt beside the model");
        }
        this.tokenizer = Tokenizer.load(tok);
        Object id2label = config.raw().get("id2label");
        for (int i = 0; i < config.numLabels(); i++) {
            String name = id2label instanceof Map<?, ?> m && m.get(Integer.toString(i)) != null
                    ? String.valueOf(m.get(Integer.toString(i))) : Integer.toString(i);
            labels.add(name);
        }
    }

    public Prediction predict(String text, String pair) {
        Encoding e = tokenizer.encode(text, pair, true);
        int max = model.config.maxPositionEmbeddings();
        if (e.length() > max) {
            throw new IllegalArgumentException("the input has " + e.length() + " tokens, more than the model's " + max);
        }
        long[] ids = e.idsAsLongs();
        long[] types = new long[ids.length];
        for (int i = 0; i < types.length; i++) {
            types[i] = e.typeIds()[i];
        }
        try (var g = GradMode.noGrad(); Scope s = Scope.open("predict")) {
            Tensor logits = model.forward(Tensor.of(ids, 1, ids.length), Tensor.of(types, 1, ids.length), null, null);
            float[] p = logits.softmax(-1).toFloatArray();
            Map<String, Double> probs = new LinkedHashMap<>();
            int best = 0;
            for (int i = 0; i < p.length; i++) {
                probs.put(labels.get(i), (double) p[i]);
                if (p[i] > p[best]) {
                    best = i;
                }
            }
            return new Prediction(labels.get(best), probs);
        }
    }
}
