package dev.t4j.train;

import java.util.Map;

/**
 * Told what the {@link Trainer} measures as it goes, as Hugging Face's {@code TrainerCallback} or Lightning's
 * callbacks: to send the figures elsewhere, or to end the run from outside ({@link Trainer#stop}). The maps are the
 * rows metrics.jsonl gets, without "step" and "split": after each optimizer step "loss", "lr", "grad_norm" and
 * "items_per_s"; after each evaluation "loss" and every other figure the task and the metric hooks took.
 */
public interface TrainerListener {
    /** After optimizer step {@code step} (1 for the first). */
    default void onStep(long step, Map<String, Double> figures) {}

    /** After the evaluation at step {@code step}. */
    default void onEvaluation(long step, Map<String, Double> figures) {}
}
