package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.backend.Backends;
import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.DropoutMask;
import dev.t4j.backend.ReduceOp;
import dev.t4j.backend.UnaryOp;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every op of the CUDA backend, driven without a GPU on a {@link RecordingDevice}: each launch's arguments are
 * checked against the kernel's parameters as the shipped PTX declares them (count, order, kinds), the kernel each op
 * picks is the expected one, products become the expected cuBLAS calls, and every kernel is reached by some op. What
 * this cannot check, the numbers, the op parity suite checks on a GPU (CudaParityTest).
 */
class CudaBackendLaunchTest {
    private RecordingDevice gpu;
    private CudaBackend cuda;
    private Scope scope;

    @BeforeEach
    void setUp() {
        String ptx = Kernels.shippedPtx();
        Assumptions.assumeTrue(ptx != null, "kernels.ptx was not built (no nvcc when this module was built)");
        gpu = new RecordingDevice();
        cuda = new CudaBackend(gpu, 0, Kernels.signatures(ptx));
        scope = Scope.open("launch test");
    }

    @AfterEach
    void tearDown() {
        if (scope != null) {
            scope.close();
        }
    }

    private Tensor f32(int... shape) {
        float[] v = new float[Math.toIntExact(Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b))];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 7;
        }
        return Tensor.upload(cuda, DType.F32, MemorySegment.ofArray(v), v.length, shape);
    }

    private Tensor ids(long... v) {
        return Tensor.upload(cuda, DType.I64, MemorySegment.ofArray(v), v.length, v.length);
    }

    private Tensor empty(DType t, int... shape) {
        return Tensor.empty(cuda, t, shape);
    }

    /** Runs {@code body} and returns what it launched. */
    private List<String> launched(Runnable body) {
        int from = gpu.launches.size();
        body.run();
        return List.copyOf(gpu.launches.subList(from, gpu.launches.size()));
    }

    @Test
    void signaturesAreReadFromThePtx() {
        Map<String, List<String>> s = Kernels.signatures(Kernels.shippedPtx());
        assertThat(s).containsKeys(Arrays.stream(Kernel.values()).map(Kernel::symbol).toArray(String[]::new));
        assertThat(s.get("copy_bytes4")).containsExactly("b8[336]", "u64", "u64");
        assertThat(s.get("adamw_f32")).containsExactly("u64", "u64", "u64", "u64", "u64", "f32", "f32", "f32", "f32",
                "f32", "f32", "f32");
        assertThat(s.get("dropout_f32")).containsExactly("u64", "u64", "u64", "u64", "u64", "u32", "f32");
    }

    @Test
    void eachOpLaunchesItsKernelWithMatchingArguments() {
        Tensor x = f32(4, 6);
        Tensor y = empty(DType.F32, 4, 6);
        assertThat(launched(() -> cuda.copy(x, y))).containsExactly("memcpy");
        assertThat(launched(() -> cuda.copy(x.mT(), empty(DType.F32, 6, 4)))).containsExactly("copy_bytes4");
        assertThat(launched(() -> cuda.copy(x, empty(DType.BF16, 4, 6)))).containsExactly("copy_convert");
        assertThat(launched(() -> cuda.copy(ids(1, 2, 3).expand(2, 3), empty(DType.I64, 2, 3))))
                .containsExactly("copy_bytes8");
        Tensor half = x.to(DType.BF16);
        assertThat(launched(() -> cuda.copy(half.mT(), empty(DType.BF16, 6, 4)))).containsExactly("copy_bytes2");
        Tensor mask = x.gt(x);
        assertThat(launched(() -> cuda.copy(mask.mT(), empty(DType.BOOL, 6, 4)))).containsExactly("copy_bytes1");
        assertThat(launched(() -> cuda.fill(y, 0))).containsExactly("memset");
        assertThat(launched(() -> cuda.fill(y.mT(), 2.5))).containsExactly("fill");

        assertThat(launched(() -> cuda.unary(UnaryOp.GELU, 0, x, y))).containsExactly("unary_contiguous_f32");
        assertThat(launched(() -> cuda.unary(UnaryOp.EXP, 0, x.mT(), empty(DType.F32, 6, 4))))
                .containsExactly("unary_f32");
        Tensor x64 = x.to(DType.F64);
        assertThat(launched(() -> cuda.unary(UnaryOp.NEG, 0, x64, empty(DType.F64, 4, 6)))).containsExactly("unary_f64");
        Tensor row = f32(6);
        assertThat(launched(() -> cuda.binary(BinaryOp.ADD, x, row.expand(4, 6), y))).containsExactly("binary_f32");
        Tensor id = ids(1, 2, 3);
        assertThat(launched(() -> cuda.binary(BinaryOp.EQ, id, id, empty(DType.BOOL, 3)))).containsExactly("binary_f64");
        Tensor cond = x.gt(row);
        assertThat(launched(() -> cuda.where(cond, x, row.expand(4, 6), y))).containsExactly("where_select");

        assertThat(launched(() -> cuda.reduce(ReduceOp.SUM, f32(3, 500), 1, empty(DType.F32, 3, 1))))
                .containsExactly("reduce_block_f32");
        assertThat(launched(() -> cuda.reduce(ReduceOp.SUM, x, 0, empty(DType.F32, 1, 6))))
                .containsExactly("reduce_thread_f32");
        // a bias gradient's sum over many rows: slices of the rows in parallel, then the slices added in order
        assertThat(launched(() -> cuda.reduce(ReduceOp.SUM, f32(640, 6), 0, empty(DType.F32, 1, 6))))
                .containsExactly("reduce_sum_parts_f32", "sum_parts_f32");
        assertThat(CudaBackend.sumParts(640, 6)).isEqualTo(20);
        assertThat(CudaBackend.sumParts(4096, 768)).isEqualTo(128);
        assertThat(CudaBackend.sumParts(4096, 1 << 16)).isEqualTo(1);
        assertThat(launched(() -> cuda.reduce(ReduceOp.ARGMAX, x, 1, empty(DType.I64, 4, 1))))
                .containsExactly("reduce_thread_f32");
        Tensor wide = f32(2, 300).to(DType.F64);
        assertThat(launched(() -> cuda.reduce(ReduceOp.MAX, wide, 1, empty(DType.F64, 2, 1))))
                .containsExactly("reduce_block_f64");
        assertThat(launched(() -> cuda.reduce(ReduceOp.MIN, wide, 0, empty(DType.F64, 1, 300))))
                .containsExactly("reduce_thread_f64");
    }

    @Test
    void rowsIndexingAndOptimizerKernels() {
        Tensor x = f32(4, 6);
        Tensor w = f32(6);
        assertThat(launched(() -> cuda.softmax(x, empty(DType.F32, 4, 6), true))).containsExactly("softmax_f32");
        Tensor x64 = x.to(DType.F64);
        assertThat(launched(() -> cuda.softmax(x64, empty(DType.F64, 4, 6), false))).containsExactly("softmax_f64");
        assertThat(launched(() -> cuda.layerNorm(x, w, w, 1e-5, empty(DType.F32, 4, 6), empty(DType.F32, 4),
                empty(DType.F32, 4)))).containsExactly("layer_norm_f32");
        assertThat(launched(() -> cuda.layerNorm(x64, null, null, 1e-5, empty(DType.F64, 4, 6), empty(DType.F64, 4),
                empty(DType.F64, 4)))).containsExactly("layer_norm_f64");
        Tensor mean4 = f32(4);
        assertThat(launched(() -> cuda.layerNormBackward(x, w, mean4, mean4, f32(4, 6), empty(DType.F32, 4, 6),
                empty(DType.F32, 6), empty(DType.F32, 6))))
                .containsExactly("layer_norm_backward_f32", "layer_norm_param_grads_f32");
        assertThat(launched(() -> cuda.rmsNormBackward(x, w, mean4, f32(4, 6), empty(DType.F32, 4, 6), null)))
                .containsExactly("layer_norm_backward_f32");
        assertThat(launched(() -> cuda.rmsNorm(x, w, 1e-6, empty(DType.F32, 4, 6), empty(DType.F32, 4))))
                .containsExactly("rms_norm_f32");
        assertThat(launched(() -> cuda.rmsNorm(x64, null, 1e-6, empty(DType.F64, 4, 6), empty(DType.F64, 4))))
                .containsExactly("rms_norm_f64");
        Tensor t = ids(1, -100, 5, 0);
        Tensor lse = empty(DType.F32, 4);
        assertThat(launched(() -> cuda.crossEntropy(x, t, -100, empty(DType.F32, 4), lse)))
                .containsExactly("cross_entropy_f32");
        assertThat(launched(() -> cuda.crossEntropyBackward(x, t, lse, -100, 0.25, empty(DType.F32, 4, 6))))
                .containsExactly("cross_entropy_backward_f32");
        Tensor lse64 = empty(DType.F64, 4);
        assertThat(launched(() -> cuda.crossEntropy(x64, t, -100, empty(DType.F64, 4), lse64)))
                .containsExactly("cross_entropy_f64");
        assertThat(launched(() -> cuda.crossEntropyBackward(x64, t, lse64, -100, 1, empty(DType.F64, 4, 6))))
                .containsExactly("cross_entropy_backward_f64");

        Tensor table = f32(10, 6);
        Tensor picks = ids(3, 0, 3, 9);
        assertThat(launched(() -> cuda.indexSelect(table, 0, picks, empty(DType.F32, 4, 6))))
                .containsExactly("index_select");
        assertThat(launched(() -> cuda.indexAdd(empty(DType.F32, 10, 6), 0, picks, x))).containsExactly("index_add");
        Tensor g = Tensor.upload(cuda, DType.I64, MemorySegment.ofArray(new long[] {0, 2, 1, 1, 0, 0, 2, 2}), 8, 4, 2);
        assertThat(launched(() -> cuda.gather(f32(4, 3), 1, g, empty(DType.F32, 4, 2)))).containsExactly("gather");
        assertThat(launched(() -> cuda.scatterAdd(empty(DType.F32, 4, 3), 1, g, f32(4, 2))))
                .containsExactly("scatter_add");
        assertThatThrownBy(() -> cuda.indexAdd(empty(DType.I64, 10, 6), 0, picks, x))
                .hasMessageContaining("float32 or float64");

        // attention over heads split from [B, T, C] (strided views), with a broadcast mask
        Tensor qkv = f32(2, 5, 3 * 8);
        Tensor q = qkv.narrow(2, 0, 8).reshape(2, 5, 2, 4).transpose(1, 2);
        Tensor k = qkv.narrow(2, 8, 8).reshape(2, 5, 2, 4).transpose(1, 2);
        Tensor v = qkv.narrow(2, 16, 8).reshape(2, 5, 2, 4).transpose(1, 2);
        Tensor bias = f32(5, 5).expand(2, 2, 5, 5);
        Tensor out = empty(DType.F32, 2, 2, 5, 4);
        Tensor rowLse = empty(DType.F32, 2, 2, 5);
        // heads up to 64 take the tiled kernels, larger ones the warp-per-row kernels
        assertThat(launched(() -> cuda.attention(q, k, v, bias, 0.5, null, out, rowLse)))
                .containsExactly("attention_tiled_forward_f32");
        assertThat(launched(() -> cuda.attentionBackward(q, k, v, null, 0.5, null, out, rowLse, f32(2, 2, 5, 4),
                empty(DType.F32, 2, 2, 5, 4), empty(DType.F32, 2, 2, 5, 4), empty(DType.F32, 2, 2, 5, 4), null)))
                .containsExactly("attention_tiled_backward_dq_f32", "attention_tiled_backward_dkv_f32");
        Tensor big = f32(1, 1, 3, 80);
        Tensor bigOut = empty(DType.F32, 1, 1, 3, 80);
        Tensor bigLse = empty(DType.F32, 1, 1, 3);
        assertThat(launched(() -> cuda.attention(big, big, big, null, 0.5, null, bigOut, bigLse)))
                .containsExactly("attention_forward_f32");
        assertThat(launched(() -> cuda.attentionBackward(big, big, big, null, 0.5, null, bigOut, bigLse, f32(1, 1, 3, 80),
                empty(DType.F32, 1, 1, 3, 80), empty(DType.F32, 1, 1, 3, 80), empty(DType.F32, 1, 1, 3, 80), null)))
                .containsExactly("attention_backward_dq_f32", "attention_backward_dkv_f32");

        Tensor in = f32(3, 4);
        Tensor weight = f32(5, 4);
        assertThat(launched(() -> cuda.linear(in, weight.mT(), f32(5), UnaryOp.GELU, empty(DType.F32, 3, 5))))
                .containsExactly("bias_activation_f32");
        assertThat(launched(() -> cuda.linear(in, weight.mT(), null, null, empty(DType.F32, 3, 5)))).isEmpty();

        Tensor p = f32(100);
        assertThat(launched(() -> cuda.adamw(p, f32(100), f32(100), f32(100), 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.1, 0.001)))
                .containsExactly("adamw_f32");
        assertThat(launched(() -> cuda.dropout(f32(3, 7), new DropoutMask(0.1, 3), empty(DType.F32, 3, 7))))
                .containsExactly("dropout_f32");
    }

    @Test
    void productsBecomeOneCublasCallWithoutCopyingViews() {
        Tensor a = f32(2, 3, 4);
        Tensor b = f32(2, 4, 5);
        assertThat(launched(() -> cuda.matmul(a, b, empty(DType.F32, 2, 3, 5)))).isEmpty();
        Tensor at = f32(2, 4, 3).mT();
        Tensor bt = f32(2, 5, 4).mT();
        assertThat(launched(() -> cuda.matmul(at, bt, empty(DType.F32, 2, 3, 5)))).isEmpty();
        // a view with no unit stride (every other column) is copied first
        Tensor strided = f32(3, 8).reshape(3, 4, 2).select(2, 0);
        Tensor w = f32(4, 5);
        assertThat(launched(() -> cuda.matmul(strided, w, empty(DType.F32, 3, 5)))).containsExactly("copy_bytes4");
        assertThat(gpu.products).hasSize(3).allMatch(s -> s.startsWith("sgemm"));
        // bfloat16 weights met by float32 activations are widened, then one sgemm
        Tensor x = f32(3, 4);
        Tensor wHalf = w.to(DType.BF16);
        assertThat(launched(() -> cuda.matmul(x, wHalf, empty(DType.F32, 3, 5)))).containsExactly("copy_convert");
        Tensor xHalf = x.to(DType.BF16);
        assertThat(launched(() -> cuda.matmul(xHalf, wHalf, empty(DType.BF16, 3, 5)))).isEmpty();
        Tensor x64 = x.to(DType.F64);
        Tensor w64 = w.to(DType.F64);
        assertThat(launched(() -> cuda.matmul(x64, w64, empty(DType.F64, 3, 5)))).isEmpty();
        assertThat(gpu.products.subList(3, 6)).extracting(s -> s.split(" ")[0])
                .containsExactly("sgemm", "gemmBf16", "dgemm");
    }

    @Test
    void everyKernelIsReachedBySomeOp() {
        eachOpLaunchesItsKernelWithMatchingArguments();
        rowsIndexingAndOptimizerKernels();
        Set<String> reached = new LinkedHashSet<>(gpu.launches);
        Set<String> all = Arrays.stream(Kernel.values()).map(Kernel::symbol).collect(Collectors.toSet());
        all.removeAll(reached);
        assertThat(all).as("kernels no op launched").isEmpty();
    }

    @Test
    void deviceMemoryIsReleasedByScopesAndReusedStepAfterStep() {
        long before = cuda.allocatedBytes();
        long cachedAfterFirst = -1;
        for (int step = 0; step < 5; step++) {
            try (Scope s = Scope.open("step")) {
                Tensor x = f32(64, 32);
                Tensor y = empty(DType.F32, 64, 32);
                cuda.unary(UnaryOp.EXP, 0, x, y);
                assertThat(cuda.allocatedBytes()).isGreaterThan(before);
            }
            assertThat(cuda.allocatedBytes()).as("after step %d", step).isEqualTo(before);
            if (step == 0) {
                cachedAfterFirst = cuda.cachedBytes();
            } else {
                assertThat(cuda.cachedBytes()).as("the cache after step %d", step).isEqualTo(cachedAfterFirst);
            }
        }
        cuda.emptyCache();
        assertThat(cuda.cachedBytes()).isZero();
        assertThat(cuda.describe()).contains("cuda:0");
    }

    @Test
    void aMismatchedCallSiteFailsNamingTheKernel() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            Kernels.Args args = new Kernels.Args(arena).ptr(0).i32(1);
            assertThatThrownBy(() -> args.check(Kernel.COPY_BYTES4, Kernels.signatures(Kernels.shippedPtx())))
                    .hasMessageContaining("copy_bytes4").hasMessageContaining("declared [b8[336], u64, u64]");
        }
    }

    @Test
    void modelCodeRunsThroughTheFrontend() {
        // the frontend (autograd, views, broadcasting) over the stand-in device: what a model step asks of a backend
        Backends.setDefault(cuda);
        try {
            Tensor w = f32(6, 3).requiresGrad(true);
            Tensor h = f32(4, 6).matmul(w).add(f32(3)).layerNorm(null, null, 1e-5).gelu();
            Tensor loss = h.crossEntropy(ids(0, 1, 2, 0), -100);
            loss.backward();
            assertThat(w.grad().shape()).containsExactly(6, 3);
            assertThat(gpu.products).isNotEmpty();
        } finally {
            Backends.setDefault(null);
        }
    }
}
