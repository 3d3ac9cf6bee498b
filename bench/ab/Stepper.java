package dev.t4j.bench;

import dev.t4j.backend.Backends;
import dev.t4j.cpu.CpuBackend;
import dev.t4j.gpt.GPT2Config;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Map;

/**
 * One training step of GptTrainThroughput's toolkit model (one thread unless -Dab.threads says more) as a Runnable,
 * for StepAB. Compiled by bench/ab.sh against each build it compares, so it uses only API that older builds have too.
 */
public class Stepper implements Runnable {
    private static final int T = 128;
    private final GPT2LMHeadModel model;
    private final AdamW opt;
    private final Tensor ids;

    public Stepper() {
        Backends.setDefault(new CpuBackend(Integer.getInteger("ab.threads", 1)));
        GPT2Config c = new GPT2Config(8192, T, 256, 4, 4, 1024, "gelu_new", 1e-5, 0, 0, 0, Map.of());
        Scope.open("model"); // held for the JVM's life, as the build's own classes are
        model = new GPT2LMHeadModel(c, new Generator(0));
        opt = new AdamW(model.parameters(), 1e-3);
        ids = Tensor.randint(new Generator(1), 8192, 16, T + 1);
    }

    @Override
    public void run() {
        try (Scope step = Scope.open("step")) {
            Tensor loss = model.loss(ids.narrow(1, 0, T).contiguous(), null, ids.narrow(1, 1, T).contiguous());
            loss.backward();
            opt.step();
            opt.zeroGrad();
        }
    }
}
