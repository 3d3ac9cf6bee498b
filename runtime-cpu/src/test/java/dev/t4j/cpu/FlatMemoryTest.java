package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.autograd.GradMode;
import dev.t4j.backend.Backends;
import dev.t4j.memory.Scope;
import dev.t4j.memory.Storage;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** 2,000 training steps with one scope per step: off-heap bytes in use must not grow, and the loss must fall. */
class FlatMemoryTest {
    @Test
    void offHeapMemoryIsFlatOverTwoThousandSteps() {
        Backends.setDefault(new CpuBackend(2));
        try (Scope model = Scope.open("model")) {
            Generator gen = new Generator(42);
            Tensor w1 = Tensor.randn(gen, 16, 32).mul(0.25).requiresGrad(true);
            Tensor b1 = Tensor.zeros(32).requiresGrad(true);
            Tensor w2 = Tensor.randn(gen, 32, 4).mul(0.25).requiresGrad(true);
            Tensor x = Tensor.randn(gen, 64, 16);
            // labels from a fixed random linear rule, so the task is learnable
            Tensor labels = x.matmul(Tensor.randn(gen, 16, 4)).argmax(1, false);
            Tensor[] params = {w1, b1, w2};
            long atStep100 = -1;
            long countAt100 = -1;
            double firstLoss = Double.NaN;
            double lastLoss = Double.NaN;
            for (int step = 1; step <= 2000; step++) {
                try (Scope s = Scope.open("step")) {
                    Tensor loss = x.matmul(w1).add(b1).geluTanh().dropout(0.1, gen, true).matmul(w2)
                            .crossEntropy(labels, -100);
                    loss.backward();
                    try (var g = GradMode.noGrad()) {
                        for (Tensor p : params) {
                            p.add_(p.grad(), -0.1);
                            p.zeroGrad();
                        }
                    }
                    double l = loss.item();
                    if (step == 1) {
                        firstLoss = l;
                    }
                    lastLoss = l;
                }
                if (step == 100) {
                    atStep100 = Storage.liveBytes();
                    countAt100 = Storage.liveCount();
                }
            }
            assertThat(Storage.liveBytes()).as("live off-heap bytes after 2,000 steps").isEqualTo(atStep100);
            assertThat(Storage.liveCount()).as("live storages after 2,000 steps").isEqualTo(countAt100);
            assertThat(lastLoss).as("training loss falls").isLessThan(firstLoss * 0.5);
        } finally {
            Backends.setDefault(null);
        }
    }
}
