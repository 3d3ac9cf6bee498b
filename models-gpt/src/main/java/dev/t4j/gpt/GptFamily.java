package dev.t4j.gpt;

import dev.t4j.generation.GenerationConfig;
import dev.t4j.model.ModelFamily;
import dev.t4j.parity.ReferenceFolder;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The decoder-only family: GPT-2 checkpoints (model_type gpt2). */
public final class GptFamily implements ModelFamily {
    @Override
    public String name() {
        return "gpt";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("gpt2");
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, Tensor> referenceOutputs(Path dir, Map<String, Object> expected) {
        GPT2LMHeadModel model = GPT2Checkpoint.load(dir);
        Tensor ids = ReferenceFolder.input(expected, "input_ids");
        Tensor mask = ReferenceFolder.input(expected, "attention_mask");
        Tensor labels = ReferenceFolder.input(expected, "labels");
        Map<String, Tensor> out = new LinkedHashMap<>();
        GPT2LMHeadModel.Output o = model.forward(ids, mask, true);
        Tensor loss = GPT2LMHeadModel.causalLmLoss(o.logits(), labels);
        loss.backward();
        out.put("loss", loss);
        out.put("logits", o.logits());
        ReferenceFolder.putNumbered(out, "hidden_states", o.hiddenStates());
        ReferenceFolder.putGradients(out, model);
        Object gen = expected.get("generation");
        if (gen instanceof Map<?, ?> g) {
            List<Object> prompt = (List<Object>) g.get("prompt_ids");
            int steps = ((Number) g.get("max_new_tokens")).intValue();
            long[] p = new long[prompt.size()];
            for (int i = 0; i < p.length; i++) {
                p[i] = ((Number) prompt.get(i)).longValue();
            }
            float[][] logits = new float[steps][];
            long[] seq = TextGeneration.run(model, p, GenerationConfig.greedy(steps), null, logits);
            float[] flat = new float[steps * logits[0].length];
            for (int i = 0; i < steps; i++) {
                System.arraycopy(logits[i], 0, flat, i * logits[i].length, logits[i].length);
            }
            out.put("generation.step_logits", Tensor.of(flat, steps, logits[0].length));
            out.put("generation.new_token_ids", Tensor.of(java.util.Arrays.copyOfRange(seq, p.length, seq.length), steps));
        }
        return out;
    }
}
