package dev.t4j.train;

import dev.t4j.nn.Module;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a model family gives the {@link Trainer}: a model, its losses on batches it draws, and its checkpoint format.
 */
public interface TrainingTask {
    Module model();

    /** The loss of one training batch, drawn with {@code data} (so a resumed run draws the same batches). */
    Tensor trainLoss(Generator data);

    /** Mean loss over the held-out batches (the trainer runs it without gradients, in evaluation mode). */
    double evalLoss();

    /**
     * The held-out figures: "loss" ({@link #evalLoss}'s) and any other the task takes in the same pass, such as a
     * classifier's accuracy. The trainer calls this, not evalLoss, at each evaluation (without gradients, in
     * evaluation mode), then logs, shows and hands on every figure.
     */
    default Map<String, Double> evalMetrics() {
        return Map.of("loss", evalLoss());
    }

    /** {@link #evalMetrics}' figures for a task that measures a loss and an accuracy, in that order. */
    static Map<String, Double> lossAndAccuracy(double loss, double accuracy) {
        Map<String, Double> figures = new LinkedHashMap<>();
        figures.put("loss", loss);
        figures.put("accuracy", accuracy);
        return figures;
    }

    /**
     * The sampler that picks the training examples, whose position the trainer's checkpoints keep beside the data
     * generator's; null when the batches come from the generator alone.
     */
    default ExampleSampler sampler() {
        return null;
    }

    /** Tokens (or examples) one training batch holds, for the throughput figure. */
    long itemsPerBatch();

    /** What {@link #itemsPerBatch} counts, for the progress bar: "tok" or "seq". */
    default String itemUnit() {
        return "tok";
    }

    /** Writes the model in its family's Hugging Face format into {@code dir} (config.json, model.safetensors...). */
    void saveModel(Path dir);
}
