package dev.t4j.train;

import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;

/** What a model family gives the {@link Trainer}: a model, its losses on batches it draws, and its checkpoint format. */
public interface TrainingTask {
    Module model();

    /** The loss of one training batch, drawn with {@code data} (so a resumed run draws the same batches). */
    Tensor trainLoss(Generator data);

    /** Mean loss over the held-out batches (the trainer runs it without gradients, in evaluation mode). */
    double evalLoss();

    /** Tokens (or examples) one training batch holds, for the throughput figure. */
    long itemsPerBatch();

    /** What {@link #itemsPerBatch} counts, for the progress bar: "tok" or "seq". */
    default String itemUnit() {
        return "tok";
    }

    /** Writes the model in its family's Hugging Face format into {@code dir} (config.json, model.safetensors...). */
    void saveModel(Path dir);
}
