package dev.t4j.t5;

import dev.t4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Encoder inputs and decoder targets of different lengths packed into rectangles: inputs padded with the pad id and
 * masked out, targets padded with -100 so the loss ignores them.
 */
record Seq2SeqBatch(Tensor inputIds, Tensor attentionMask, Tensor labels) {
    static Seq2SeqBatch pack(List<long[]> inputs, List<long[]> targets, int padId) {
        int s = 0;
        int t = 0;
        for (int i = 0; i < inputs.size(); i++) {
            s = Math.max(s, inputs.get(i).length);
            t = Math.max(t, targets.get(i).length);
        }
        int b = inputs.size();
        long[] ids = new long[b * s];
        long[] mask = new long[b * s];
        long[] labels = new long[b * t];
        Arrays.fill(ids, padId);
        Arrays.fill(labels, -100);
        for (int i = 0; i < b; i++) {
            long[] in = inputs.get(i);
            System.arraycopy(in, 0, ids, i * s, in.length);
            Arrays.fill(mask, i * s, i * s + in.length, 1);
            System.arraycopy(targets.get(i), 0, labels, i * t, targets.get(i).length);
        }
        return new Seq2SeqBatch(Tensor.of(ids, b, s), Tensor.of(mask, b, s), Tensor.of(labels, b, t));
    }

    /** Teacher-forced logits [B, T, vocab]: the decoder reads the targets shifted right. */
    Tensor logits(T5ForConditionalGeneration model) {
        return model.forward(inputIds, attentionMask, model.shiftRight(labels), null, null).logits();
    }
}
