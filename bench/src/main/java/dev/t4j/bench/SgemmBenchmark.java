package dev.t4j.bench;

import dev.t4j.backend.Backend;
import dev.t4j.cpu.CpuBackend;

import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;

import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * sgemm through the public tensor API (C = A @ B, float32, row-major, C allocated per call as numpy's a @ b
 * does), at square sizes and the GEMM shapes of a BERT-base / GPT-2-small layer with 2048 tokens. GFLOP/s =
 * 2mnk / time; bench/sgemm.sh turns the JMH result into the table in BENCHMARKS.md beside OpenBLAS. Sampled call
 * times, of which the script takes the median: the statistic the OpenBLAS peer reports (the mean, used until the
 * fifth session, let this shared machine's slow outliers weigh on t4j's side alone).
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SgemmBenchmark {
    /** m x n x k. */
    @Param({"256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048", "2048x3072x768", "2048x768x3072",
        "2048x768x768"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private dev.t4j.memory.Scope data;
    private Tensor a;
    private Tensor b;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int m = Integer.parseInt(p[0]);
        int n = Integer.parseInt(p[1]);
        int k = Integer.parseInt(p[2]);
        Backend cpu = new CpuBackend(threads);
        data = dev.t4j.memory.Scope.open("bench");
        a = random(cpu, m, k, 1);
        b = random(cpu, k, n, 2);
    }

    private static Tensor random(Backend backend, int rows, int cols, int seed) {
        float[] v = new float[rows * cols];
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() - 0.5);
        }
        return Tensor.upload(backend, DType.F32, MemorySegment.ofArray(v), v.length, rows, cols);
    }

    @Benchmark
    public long matmul() {
        try (var s = dev.t4j.memory.Scope.open("call")) {
            return a.matmul(b).numel();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        data.close();
    }
}
