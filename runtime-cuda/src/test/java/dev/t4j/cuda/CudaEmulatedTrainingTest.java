package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.autograd.GradMode;
import dev.t4j.gpt.GPT2Checkpoint;
import dev.t4j.gpt.GPT2Config;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.gpt.GptPretraining;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.optim.LrSchedule;
import dev.t4j.tensor.Generator;
import dev.t4j.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GPT trained by the Trainer on the CUDA backend (kernels emulated on the CPU): the loss falls, a checkpoint is
 * written from device memory, and a run resumes from it (host views of the files copied into device tensors).
 */
class CudaEmulatedTrainingTest extends OnEmulatedCuda {
    private static final GPT2Config CONFIG = new GPT2Config(16, 16, 32, 2, 2, 64, "gelu_new", 1e-5, 0, 0, 0, Map.of());

    /** A sequence with a short period: learnable in a few steps. */
    private static int[] tokens(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = (i * 5 + i / 7) % 16;
        }
        return t;
    }

    private static Trainer trainer(GPT2LMHeadModel model, long steps, Path out) {
        AdamW opt = new AdamW(model.parameters(), 1e-2, 0.9, 0.99, 1e-8, 0.0);
        GptPretraining task = new GptPretraining(model, tokens(3000), tokens(400), 4, 16, 1);
        return new Trainer(task, opt, LrSchedule.named("constant", 1e-2, 1, steps),
                new Trainer.Options(steps, 1, 1.0, 8, 8, 2, 0, 3, out));
    }

    @Test
    void trainsCheckpointsAndResumes(@TempDir Path dir) {
        try (Scope s = Scope.open("test")) {
            GPT2LMHeadModel model = new GPT2LMHeadModel(CONFIG, new Generator(0));
            assertThat(model.parameters().getFirst().device().type()).isEqualTo("cuda");
            Trainer.Result first = trainer(model, 8, dir.resolve("a")).run();
            assertThat(first.lastEvalLoss()).as("eval loss after 8 steps, vs ln 16 = 2.77 at chance").isLessThan(2.4);
            Path checkpoint = first.lastCheckpoint();
            assertThat(Files.exists(checkpoint.resolve("optimizer.safetensors"))).isTrue();

            GPT2LMHeadModel resumed = new GPT2LMHeadModel(CONFIG, new Generator(1));
            try (var g = GradMode.noGrad()) {
                resumed.load(GPT2Checkpoint.load(checkpoint).namedParameters(), true);
            }
            Trainer more = trainer(resumed, 10, dir.resolve("b"));
            more.resumeFrom(checkpoint);
            assertThat(more.step()).isEqualTo(8);
            Trainer.Result second = more.run();
            assertThat(second.steps()).isEqualTo(10);
            assertThat(second.lastEvalLoss()).isLessThan(first.lastEvalLoss() + 0.05);
        }
    }
}
