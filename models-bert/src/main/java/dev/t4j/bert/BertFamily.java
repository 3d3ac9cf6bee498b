package dev.t4j.bert;

import dev.t4j.model.ModelFamily;
import dev.t4j.parity.ReferenceFolder;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The encoder-only family: BERT checkpoints (model_type bert), masked-LM and sequence classification heads. */
public final class BertFamily implements ModelFamily {
    @Override
    public String name() {
        return "bert";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("bert");
    }

    @Override
    public Map<String, Tensor> referenceOutputs(Path dir, Map<String, Object> expected) {
        Tensor ids = ReferenceFolder.input(expected, "input_ids");
        Tensor mask = ReferenceFolder.input(expected, "attention_mask");
        Tensor types = ReferenceFolder.input(expected, "token_type_ids");
        Tensor labels = ReferenceFolder.input(expected, "labels");
        List<Tensor> hidden = new ArrayList<>();
        Map<String, Tensor> out = new LinkedHashMap<>();
        String architecture = String.valueOf(expected.getOrDefault("model_class", "BertForMaskedLM"));
        Tensor logits;
        Tensor loss;
        dev.t4j.nn.Module model;
        switch (architecture) {
            case "BertForMaskedLM" -> {
                BertForMaskedLM m = BertCheckpoint.loadMaskedLM(dir);
                logits = m.forward(ids, types, mask, hidden);
                loss = BertForMaskedLM.loss(logits, labels);
                model = m;
            }
            case "BertForSequenceClassification" -> {
                BertForSequenceClassification m = BertCheckpoint.loadSequenceClassification(dir);
                logits = m.forward(ids, types, mask, hidden);
                loss = m.loss(logits, labels);
                model = m;
            }
            default -> throw new IllegalArgumentException("the bert family has no head '" + architecture
                    + "' (BertForMaskedLM, BertForSequenceClassification)");
        }
        loss.backward();
        out.put("loss", loss);
        out.put("logits", logits);
        ReferenceFolder.putNumbered(out, "hidden_states", hidden);
        ReferenceFolder.putGradients(out, model);
        return out;
    }
}
