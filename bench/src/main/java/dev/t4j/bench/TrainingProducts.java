package dev.t4j.bench;

import dev.t4j.cpu.CpuBackend;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The matrix products of one training step of the toolkit model (GptTrainThroughput: 4 layers, width 256,
 * vocabulary 8,192, 2,048 tokens), each shape alone on the `cpu` backend, in the layouts the step uses (A^T for
 * weight gradients, B^T where a weight is read transposed), C written in place. Prints one JSON line per shape with
 * the median call's GFLOP/s and how many times a step runs it; bench/products.sh prints it beside OpenBLAS
 * (bench/peers/openblas_products.py, which reads its shapes from these lines). Each shape is warmed up until the JIT
 * is quiet ({@link Warmup}). Arguments: threads (default 1), seconds per shape (default 2).
 */
public final class TrainingProducts {
    private TrainingProducts() {}

    /** One product of the step: C [m, n] = A [m, k] B [k, n]; layout "nn", "nt" (B^T) or "tn" (A^T). */
    record Product(String name, int m, int n, int k, String layout, int perStep) {}

    static final List<Product> STEP = List.of(
            new Product("LM head logits", 2048, 8192, 256, "nt", 1),
            new Product("LM head dx", 2048, 256, 8192, "nn", 1),
            new Product("LM head dW", 8192, 256, 2048, "tn", 1),
            new Product("c_attn", 2048, 768, 256, "nn", 4),
            new Product("attn c_proj", 2048, 256, 256, "nn", 4),
            new Product("c_fc", 2048, 1024, 256, "nn", 4),
            new Product("mlp c_proj", 2048, 256, 1024, "nn", 4),
            new Product("c_attn dx", 2048, 256, 768, "nt", 4),
            new Product("attn c_proj dx", 2048, 256, 256, "nt", 4),
            new Product("c_fc dx", 2048, 256, 1024, "nt", 4),
            new Product("mlp c_proj dx", 2048, 1024, 256, "nt", 4),
            new Product("c_attn dW", 256, 768, 2048, "tn", 4),
            new Product("attn c_proj dW", 256, 256, 2048, "tn", 4),
            new Product("c_fc dW", 256, 1024, 2048, "tn", 4),
            new Product("mlp c_proj dW", 1024, 256, 2048, "tn", 4));

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        CpuBackend cpu = new CpuBackend(threads);
        Generator gen = new Generator(1);
        for (Product p : STEP) {
            try (Scope s = Scope.open("product")) {
                // stored as the step stores them: a transposed operand is a view of a row-major matrix
                Tensor a = p.layout().charAt(0) == 't' ? Tensor.randn(gen, p.k(), p.m()).to(cpu).mT()
                        : Tensor.randn(gen, p.m(), p.k()).to(cpu);
                Tensor b = p.layout().charAt(1) == 't' ? Tensor.randn(gen, p.n(), p.k()).to(cpu).mT()
                        : Tensor.randn(gen, p.k(), p.n()).to(cpu);
                Tensor c = Tensor.empty(cpu, a.dtype(), p.m(), p.n());
                Warmup.untilCompiled(() -> cpu.matmul(a, b, c), seconds / 2, 30);
                double[] times = new double[1 << 16];
                int calls = 0;
                long end = System.nanoTime() + (long) (seconds * 1e9);
                while ((System.nanoTime() < end || calls < 5) && calls < times.length) {
                    long t0 = System.nanoTime();
                    cpu.matmul(a, b, c);
                    times[calls++] = (System.nanoTime() - t0) / 1e9;
                }
                Arrays.sort(times, 0, calls);
                double median = times[calls / 2];
                System.out.printf(Locale.ROOT, "{\"name\": \"%s\", \"shape\": \"%dx%dx%d\", \"layout\": \"%s\", "
                        + "\"per_step\": %d, \"threads\": %d, \"gflops\": %.1f}%n", p.name(), p.m(), p.n(), p.k(),
                        p.layout(), p.perStep(), threads, 2.0 * p.m() * p.n() * p.k() / median / 1e9);
            }
        }
    }
}
