package dev.t4j.optim;

import dev.t4j.autograd.GradMode;
import dev.t4j.tensor.Tensor;
import java.util.List;

/** Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_. */
public final class GradClip {
    private GradClip() {}

    /** Scales every gradient by min(1, maxNorm / ||g||) with ||g|| over all of them; returns ||g|| before. */
    public static double clipGlobalNorm(List<Tensor> parameters, double maxNorm) {
        double sumSquares = 0;
        try (var g = GradMode.noGrad()) {
            for (Tensor p : parameters) {
                if (p.grad() != null) {
                    sumSquares += p.grad().mul(p.grad()).sum().item();
                }
            }
            double norm = Math.sqrt(sumSquares);
            if (maxNorm > 0 && norm > maxNorm) {
                double scale = maxNorm / (norm + 1e-6);
                for (Tensor p : parameters) {
                    if (p.grad() != null) {
                        p.grad().mul_(scale);
                    }
                }
            }
            return norm;
        }
    }
}
