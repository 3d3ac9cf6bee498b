package dev.t4j.bench;

import dev.t4j.autograd.GradMode;
import dev.t4j.bert.BertConfig;
import dev.t4j.bert.BertModel;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Locale;

/**
 * BERT-base forward (12 layers, 768, 12 heads, random weights, float32), batch 8 x 128 tokens, sequences/s: 2
 * warm-up passes, then the best of 5. The peer is bench/peers/torch_bert_forward.py; bench/bert.sh runs both on the
 * CPU (first argument: threads), scripts/gpu-check.sh on a GPU (first argument: cuda).
 */
public final class BertForwardThroughput {
    private BertForwardThroughput() {}

    public static void main(String[] args) {
        BenchBackend on = BenchBackend.fromArgs(args); // a thread count, or cuda
        BertConfig c = BertConfig.preset("bert-base");
        try (Scope s = Scope.open("model"); var g = GradMode.noGrad()) {
            BertModel model = new BertModel(c, true, new Generator(0));
            model.eval();
            Tensor ids = Tensor.randint(new Generator(1), c.vocabSize(), 8, 128);
            double best = 0;
            for (int i = 0; i < 7; i++) {
                long t0 = System.nanoTime();
                try (Scope step = Scope.open("forward")) {
                    model.forward(ids, null, null, null).sum().item();
                }
                if (i >= 2) {
                    best = Math.max(best, 8 / ((System.nanoTime() - t0) / 1e9));
                }
            }
            System.out.printf(Locale.ROOT, "{\"bench\": \"bert\", \"backend\": \"%s\", \"threads\": %s, "
                    + "\"sequences_per_s\": %.2f}%n", on.backend().name(), on.label(), best);
        }
    }
}
