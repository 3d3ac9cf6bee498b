package dev.t4j.t5;

import dev.t4j.model.ModelFamily;
import dev.t4j.parity.ReferenceFolder;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The encoder-decoder family: T5 checkpoints (model_type t5). */
public final class T5Family implements ModelFamily {
    @Override
    public String name() {
        return "t5";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("t5");
    }

    @Override
    public Map<String, Tensor> referenceOutputs(Path dir, Map<String, Object> expected) {
        T5ForConditionalGeneration model = T5Checkpoint.load(dir);
        Tensor ids = ReferenceFolder.input(expected, "input_ids");
        Tensor mask = ReferenceFolder.input(expected, "attention_mask");
        Tensor labels = ReferenceFolder.input(expected, "labels");
        Tensor given = ReferenceFolder.input(expected, "decoder_input_ids");
        Tensor decoderIds = given != null ? given : model.shiftRight(labels);
        List<Tensor> enc = new ArrayList<>();
        List<Tensor> dec = new ArrayList<>();
        T5ForConditionalGeneration.Output o = model.forward(ids, mask, decoderIds, enc, dec);
        Tensor loss = o.logits().crossEntropy(labels, -100);
        loss.backward();
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("loss", loss);
        out.put("logits", o.logits());
        ReferenceFolder.putNumbered(out, "encoder_hidden_states", enc);
        ReferenceFolder.putNumbered(out, "decoder_hidden_states", dec);
        ReferenceFolder.putGradients(out, model);
        int m = Math.max(ids.size(1), decoderIds.size(1));
        T5Config c = model.config;
        for (boolean bidirectional : new boolean[] {true, false}) {
            int[] buckets = new int[2 * m - 1];
            for (int r = -(m - 1); r <= m - 1; r++) {
                buckets[r + m - 1] = RelativePosition.bucket(r, bidirectional, c.relativeAttentionNumBuckets(),
                        c.relativeAttentionMaxDistance());
            }
            out.put("relative_position_bucket." + (bidirectional ? "bidirectional" : "unidirectional"),
                    Tensor.of(buckets, buckets.length));
        }
        return out;
    }
}
