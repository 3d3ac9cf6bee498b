package dev.t4j.train;

/**
 * A figure the {@link Trainer} takes at every evaluation beside the task's own (accuracy on a dev set, a ROUGE score,
 * a probe's answer...), as Hugging Face's {@code compute_metrics} or a Lightning metric: run without gradients, with
 * the model in evaluation mode and inside a memory scope of the evaluation's, so whatever tensors it makes are released
 * when it returns. Its value is logged to metrics.jsonl, shown on the progress bar, handed to the listeners, and can be
 * the figure early stopping watches ({@link Trainer#monitor}).
 */
@FunctionalInterface
public interface EvalMetric {
    double compute();
}
