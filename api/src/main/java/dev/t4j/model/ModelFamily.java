package dev.t4j.model;

import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A model family plugin (GPT, BERT, T5, ...), found with {@link java.util.ServiceLoader} under
 * {@code META-INF/services/dev.t4j.model.ModelFamily}. A family module depends on {@code t4j-api} only.
 */
public interface ModelFamily {
    /** Short name used on the command line: {@code gpt}, {@code bert}, {@code t5}. */
    String name();

    /** The Hugging Face {@code model_type} values this family loads ({@code gpt2}, ...). */
    List<String> modelTypes();

    /**
     * Runs the checkpoint in {@code dir} (config.json + model.safetensors) on the inputs of a reference folder
     * ({@code expected}: its parsed expected.json) and returns every tensor it can produce under the names
     * expected.json uses: {@code loss}, {@code logits}, {@code hidden_states.i}, {@code grad/<param>}, ...
     */
    Map<String, Tensor> referenceOutputs(Path dir, Map<String, Object> expected);
}
