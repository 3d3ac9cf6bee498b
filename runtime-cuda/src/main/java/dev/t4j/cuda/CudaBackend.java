package dev.t4j.cuda;

import dev.t4j.backend.Backend;
import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.DropoutMask;
import dev.t4j.backend.ReduceOp;
import dev.t4j.backend.UnaryOp;
import dev.t4j.memory.Scope;
import dev.t4j.memory.Storage;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Device;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * The CUDA backend: t4j's kernels (PTX from {@code src/main/cuda}) for everything but products, cuBLAS for products,
 * all queued on one stream of the device's primary context; memory from a caching allocator released by scopes.
 * Kernels take tensors as they are (any strides, broadcast views) through {@link Layout}, as the CPU backend does.
 *
 * <p>Errors: a failed launch throws at once naming the op; an error inside a kernel surfaces at the next
 * synchronising call (a download, {@link #synchronize}); with {@code -Dt4j.cuda.sync=true} every op synchronises,
 * so the exception names the op that failed.
 */
final class CudaBackend implements Backend {
    private final CudaDevice gpu;
    private final Device device;
    private final DeviceAllocator allocator;
    private final Map<String, List<String>> signatures;
    private final boolean syncEachOp;
    private final OpProfile profile;
    private long opStart;

    /** A backend that queues ops without waiting for them and keeps no profile (tests). */
    CudaBackend(CudaDevice gpu, int ordinal, Map<String, List<String>> signatures) {
        this(gpu, ordinal, signatures, false, null);
    }

    /**
     * @param gpu the device (a {@link DriverDevice}, or a stand-in in tests)
     * @param ordinal its index, for {@link #device()}
     * @param signatures the kernels' parameters, from {@link Kernels#signatures}
     * @param syncEachOp whether every op waits for the device (so that an error names its op)
     * @param profile where each op's time goes (every op then waits), or null
     */
    CudaBackend(CudaDevice gpu, int ordinal, Map<String, List<String>> signatures, boolean syncEachOp,
            OpProfile profile) {
        this.gpu = gpu;
        this.device = new Device("cuda", ordinal);
        this.signatures = signatures;
        this.allocator = new DeviceAllocator(gpu, gpu.describe(), Long.getLong("t4j.cuda.cacheBytes", Long.MAX_VALUE));
        this.profile = profile;
        this.syncEachOp = syncEachOp || profile != null;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Device device() {
        return device;
    }

    String describe() {
        return gpu.describe();
    }

    /** Bytes held by live tensors and bytes cached for reuse (torch.cuda.memory_allocated / memory_reserved - that). */
    long allocatedBytes() {
        return allocator.inUseBytes();
    }

    long cachedBytes() {
        return allocator.cachedBytes();
    }

    /** The op profile so far (-Dt4j.cuda.profile=true), or an empty string. */
    String profileTable() {
        return profile == null ? "" : profile.table();
    }

    void emptyCache() {
        bind();
        allocator.emptyCache();
    }

    /**
     * Called as each op starts: the driver keeps the current context per thread, and any thread may call the
     * backend.
     */
    private void bind() {
        gpu.bind();
        if (profile != null) {
            opStart = System.nanoTime();
        }
    }

    /** Called as each op ends: with -Dt4j.cuda.sync or the profile, waits for it (an error then names it). */
    private void done(String op) {
        if (syncEachOp) {
            gpu.synchronize(op);
            if (profile != null) {
                profile.add(op, System.nanoTime() - opStart);
            }
        }
    }

    @Override
    public Storage allocate(long bytes) {
        bind();
        return new CudaStorage(allocator, bytes);
    }

    private static long base(Tensor t) {
        if (!(t.storage() instanceof CudaStorage s)) {
            throw new IllegalArgumentException("the cuda backend was given a tensor on " + t.device()
                    + "; move it with to(backend) first");
        }
        return s.address();
    }

    /** The device address of a tensor's first element. */
    private static long first(Tensor t) {
        return base(t) + t.offset() * t.dtype().byteSize();
    }

    /** Ops' names in errors and the profile, made once: the lowercase enum names. */
    private static final String[] UNARY_NAMES = lowercase(UnaryOp.values());
    private static final String[] BINARY_NAMES = lowercase(BinaryOp.values());
    private static final String[] REDUCE_NAMES = java.util.Arrays.stream(lowercase(ReduceOp.values()))
            .map(n -> "reduce " + n).toArray(String[]::new);

    private static String[] lowercase(Enum<?>[] values) {
        return java.util.Arrays.stream(values).map(v -> v.name().toLowerCase(java.util.Locale.ROOT))
                .toArray(String[]::new);
    }

    private static int code(DType t) {
        return t.ordinal();
    }

    // ------------------------------------------------------------------------------------------ transfers

    @Override
    public void upload(MemorySegment host, Tensor dst) {
        bind();
        gpu.copyToDevice(first(dst), host, dst.numel() * dst.dtype().byteSize());
    }

    @Override
    public void download(Tensor src, MemorySegment host) {
        bind();
        gpu.copyToHost(host, first(src), src.numel() * src.dtype().byteSize());
    }

    @Override
    public void synchronize() {
        bind();
        gpu.synchronize("synchronize (an earlier kernel)");
    }

    // ------------------------------------------------------------------------------------------ elementwise

    /** Checks the arguments against the kernel's PTX parameters, then queues it. */
    private void launch(Kernel k, int grid, Kernels.Args args, String op) {
        launch(k, grid, 256, args, op);
    }

    /** {@link #launch(Kernel, int, Kernels.Args, String)} with blocks of {@code block} threads. */
    private void launch(Kernel k, int grid, int block, Kernels.Args args, String op) {
        if (profile != null) {
            opStart = System.nanoTime(); // an op of several launches counts each apart
        }
        args.check(k, signatures);
        gpu.launch(k, Math.max(1, grid), block, args.pack(), op);
        done(op);
    }

    /** A grid-stride kernel over n elements. */
    private void run(Kernel k, long n, Kernels.Args args, String op) {
        launch(k, Kernels.gridFor(n), args, op);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (dst.numel() == 0) {
            return;
        }
        bind();
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            gpu.copyOnDevice(first(dst), first(src), dst.numel() * dst.dtype().byteSize());
            done("copy");
            return;
        }
        Layout l = Layout.coalesced(dst.shape(), new int[][] {dst.strides(), src.strides()},
                new long[] {dst.offset(), src.offset()});
        try (Arena arena = Arena.ofConfined()) {
            Kernels.Args a = new Kernels.Args(arena).layout(l);
            if (src.dtype() == dst.dtype()) {
                Kernel k = switch (dst.dtype().byteSize()) {
                    case 1 -> Kernel.COPY_BYTES1;
                    case 2 -> Kernel.COPY_BYTES2;
                    case 4 -> Kernel.COPY_BYTES4;
                    default -> Kernel.COPY_BYTES8;
                };
                run(k, l.numel(), a.ptr(base(src)).ptr(base(dst)), "copy");
            } else {
                run(Kernel.COPY_CONVERT, l.numel(), a.ptr(base(src)).i32(code(src.dtype())).ptr(base(dst))
                        .i32(code(dst.dtype())), "copy " + src.dtype() + " to " + dst.dtype());
            }
        }
    }

    @Override
    public void fill(Tensor dst, double value) {
        if (dst.numel() == 0) {
            return;
        }
        bind();
        if (value == 0 && Double.doubleToRawLongBits(value) == 0 && dst.isContiguous()) {
            gpu.zero(first(dst), dst.numel() * dst.dtype().byteSize());
            done("fill");
            return;
        }
        Layout l = Layout.coalesced(dst.shape(), new int[][] {dst.strides()}, new long[] {dst.offset()});
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.FILL, l.numel(), new Kernels.Args(arena).layout(l).ptr(base(dst)).i32(code(dst.dtype()))
                    .f64(value), "fill");
        }
    }

    /** Whether a kernel over these types computes in double: float64 values, or int64 ones (exact up to 2^53). */
    private static boolean wide(Tensor... ts) {
        for (Tensor t : ts) {
            if (t.dtype() == DType.F64 || t.dtype() == DType.I64) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void unary(UnaryOp op, double alpha, Tensor x, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        bind();
        String name = UNARY_NAMES[op.ordinal()];
        try (Arena arena = Arena.ofConfined()) {
            Kernels.Args a = new Kernels.Args(arena);
            if (x.dtype() == DType.F32 && out.dtype() == DType.F32 && x.isContiguous() && out.isContiguous()) {
                run(Kernel.UNARY_CONTIGUOUS_F32, out.numel(), a.i64(out.numel()).i32(op.ordinal()).f32((float) alpha)
                        .ptr(first(x)).ptr(first(out)), name);
                return;
            }
            Layout l = Layout.coalesced(out.shape(), new int[][] {out.strides(), x.strides()},
                    new long[] {out.offset(), x.offset()});
            run(wide(x, out) ? Kernel.UNARY_F64 : Kernel.UNARY_F32, l.numel(), a.layout(l).i32(op.ordinal()).f64(alpha)
                    .ptr(base(x)).i32(code(x.dtype())).ptr(base(out)).i32(code(out.dtype())), name);
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        bind();
        Layout l = Layout.coalesced(out.shape(), new int[][] {out.strides(), a.strides(), b.strides()},
                new long[] {out.offset(), a.offset(), b.offset()});
        try (Arena arena = Arena.ofConfined()) {
            run(wide(a, b, out) ? Kernel.BINARY_F64 : Kernel.BINARY_F32, l.numel(), new Kernels.Args(arena).layout(l)
                    .i32(op.ordinal()).ptr(base(a)).i32(code(a.dtype())).ptr(base(b)).i32(code(b.dtype()))
                    .ptr(base(out)).i32(code(out.dtype())), BINARY_NAMES[op.ordinal()]);
        }
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        bind();
        Layout l = Layout.coalesced(out.shape(), new int[][] {out.strides(), cond.strides(), a.strides(), b.strides()},
                new long[] {out.offset(), cond.offset(), a.offset(), b.offset()});
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.WHERE_SELECT, l.numel(), new Kernels.Args(arena).layout(l).ptr(base(cond))
                    .i32(code(cond.dtype())).ptr(base(a)).i32(code(a.dtype())).ptr(base(b)).i32(code(b.dtype()))
                    .ptr(base(out)).i32(code(out.dtype())), "where");
        }
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, int axis, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        bind();
        int n = x.shape()[axis];
        int stride = x.strides()[axis];
        Layout l = Layout.coalesced(out.shape(), new int[][] {out.strides(), x.strides()},
                new long[] {out.offset(), x.offset()});
        boolean wide = wide(x);
        // a contiguous axis is read by a whole block together; a strided one by one thread per output, so that
        // neighbouring threads read neighbouring elements
        boolean perBlock = stride == 1 && n >= 128;
        Kernel k = perBlock ? (wide ? Kernel.REDUCE_BLOCK_F64 : Kernel.REDUCE_BLOCK_F32)
                : (wide ? Kernel.REDUCE_THREAD_F64 : Kernel.REDUCE_THREAD_F32);
        String name = REDUCE_NAMES[op.ordinal()];
        long parts = op == ReduceOp.SUM && !perBlock && !wide ? sumParts(n, l.numel()) : 1;
        if (parts > 1) {
            try (Arena arena = Arena.ofConfined(); Scope temp = Scope.open("sum parts")) {
                Tensor partial = Tensor.empty(this, DType.F32, Math.toIntExact(parts * l.numel()));
                run(Kernel.REDUCE_SUM_PARTS_F32, parts * l.numel(), new Kernels.Args(arena).layout(l).ptr(base(x))
                        .i32(code(x.dtype())).i64(n).i64(stride).i64(parts).ptr(first(partial)), name);
                addSlices(partial, parts, out, arena, name);
            }
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            Kernels.Args a = new Kernels.Args(arena).layout(l).i32(op.ordinal()).ptr(base(x)).i32(code(x.dtype()))
                    .i64(n).i64(stride).ptr(base(out)).i32(code(out.dtype()));
            int grid = perBlock ? (int) Math.min(l.numel(), 1 << 20) : Kernels.gridFor(l.numel());
            launch(k, grid, a, name);
        }
    }

    // ------------------------------------------------------------------------------------------ products

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        bind();
        int r = out.dim();
        int k = a.shape()[r - 1];
        if (k == 0) {
            fill(out, 0);
            return;
        }
        DType ct = out.dtype();
        boolean bf16 = a.dtype() == DType.BF16 && b.dtype() == DType.BF16 && (ct == DType.F32 || ct == DType.BF16);
        if (!bf16 && ct != DType.F32 && ct != DType.F64) {
            throw new IllegalArgumentException("cuda matmul computes float32, float64 or (from bfloat16 operands) "
                    + "bfloat16 outputs, not " + ct);
        }
        if (!bf16) {
            a = a.dtype() == ct ? a : converted(a, ct);
            b = b.dtype() == ct ? b : converted(b, ct);
        }
        // an operand cuBLAS cannot take as it is (no unit stride, batch dims that do not collapse) is copied first
        a = GemmPlan.left(a.shape(), a.strides()) == null ? contiguousCopy(a) : a;
        b = GemmPlan.right(b.shape(), b.strides()) == null ? contiguousCopy(b) : b;
        GemmPlan plan = GemmPlan.plan(a.shape(), a.strides(), b.shape(), b.strides());
        if (bf16) {
            gpu.blas().gemmBf16(plan, first(b), first(a), first(out), ct == DType.BF16);
        } else if (ct == DType.F32) {
            gpu.blas().sgemm(plan, first(b), first(a), first(out));
        } else {
            gpu.blas().dgemm(plan, first(b), first(a), first(out));
        }
        done("matmul");
    }

    /**
     * The product straight into {@code out} by cuBLAS, then the bias and activation in one pass over it (the default
     * composition would allocate and pass over the product three more times).
     */
    @Override
    public void linear(Tensor x, Tensor w, Tensor bias, UnaryOp act, Tensor out) {
        if (out.dtype() != DType.F32 || !out.isContiguous() || x.dim() != 2) {
            Backend.super.linear(x, w, bias, act, out);
            return;
        }
        matmul(x, w, out);
        if (bias == null && act == null) {
            return;
        }
        long rows = out.shape()[0];
        long cols = out.shape()[1];
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.BIAS_ACTIVATION_F32, rows * cols, new Kernels.Args(arena).i64(rows).i64(cols).ptr(first(out))
                    .ptr(bias == null ? 0 : first(bias)).i32(bias == null ? 0 : code(bias.dtype()))
                    .i64(bias == null ? 0 : bias.strides()[0]).i32(act == null ? -1 : act.ordinal()), "linear epilogue");
        }
    }

    /** A contiguous copy in {@code dtype} (bfloat16 weights met by float32 activations are widened once per call). */
    private Tensor converted(Tensor t, DType dtype) {
        Tensor c = Tensor.empty(this, dtype, t.shape());
        copy(t, c);
        return c;
    }

    private Tensor contiguousCopy(Tensor t) {
        return converted(t, t.dtype());
    }

    // ------------------------------------------------------------------------------------------ indexing

    private static int[] zeroAt(int[] strides, int dim) {
        int[] s = strides.clone();
        s[dim] = 0;
        return s;
    }

    @Override
    public void indexSelect(Tensor src, int dim, Tensor index, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        bind();
        Layout l = Layout.of(out.shape(), new int[][] {out.strides(), zeroAt(src.strides(), dim)},
                new long[] {out.offset(), src.offset()});
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.INDEX_SELECT, l.numel(), new Kernels.Args(arena).layout(l).i32(dim).ptr(base(src))
                    .i32(code(src.dtype())).i64(src.strides()[dim]).ptr(base(index)).i32(code(index.dtype()))
                    .i64(index.offset()).i64(index.strides()[0]).ptr(base(out)).i32(code(out.dtype())),
                    "index_select");
        }
    }

    private static void checkAtomic(Tensor dst, String op) {
        if (dst.dtype() != DType.F32 && dst.dtype() != DType.F64) {
            throw new IllegalArgumentException("cuda " + op + " accumulates into float32 or float64, not "
                    + dst.dtype());
        }
    }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        if (src.numel() == 0) {
            return;
        }
        checkAtomic(dst, "index_add");
        bind();
        Layout l = Layout.of(src.shape(), new int[][] {zeroAt(dst.strides(), dim), src.strides()},
                new long[] {dst.offset(), src.offset()});
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.INDEX_ADD, l.numel(), new Kernels.Args(arena).layout(l).i32(dim).ptr(base(dst))
                    .i32(code(dst.dtype())).i64(dst.strides()[dim]).ptr(base(index)).i32(code(index.dtype()))
                    .i64(index.offset()).i64(index.strides()[0]).ptr(base(src)).i32(code(src.dtype())), "index_add");
        }
    }

    @Override
    public void gather(Tensor src, int dim, Tensor index, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        bind();
        Layout l = Layout.of(out.shape(), new int[][] {out.strides(), index.strides(), zeroAt(src.strides(), dim)},
                new long[] {out.offset(), index.offset(), src.offset()});
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.GATHER, l.numel(), new Kernels.Args(arena).layout(l).ptr(base(src)).i32(code(src.dtype()))
                    .i64(src.strides()[dim]).ptr(base(index)).i32(code(index.dtype())).ptr(base(out))
                    .i32(code(out.dtype())), "gather");
        }
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        if (src.numel() == 0) {
            return;
        }
        checkAtomic(dst, "scatter_add");
        bind();
        Layout l = Layout.of(src.shape(), new int[][] {zeroAt(dst.strides(), dim), index.strides(), src.strides()},
                new long[] {dst.offset(), index.offset(), src.offset()});
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.SCATTER_ADD, l.numel(), new Kernels.Args(arena).layout(l).ptr(base(dst))
                    .i32(code(dst.dtype())).i64(dst.strides()[dim]).ptr(base(index)).i32(code(index.dtype()))
                    .ptr(base(src)).i32(code(src.dtype())), "scatter_add");
        }
    }

    // ------------------------------------------------------------------------------------------ rows

    /** float64 kernels for float64 tensors, float32 ones for float32; the row kernels take nothing else. */
    private static boolean rowsWide(String op, Tensor... ts) {
        DType t = ts[0].dtype();
        for (Tensor x : ts) {
            if (x.dtype() != t || (t != DType.F32 && t != DType.F64)) {
                throw new IllegalArgumentException("cuda " + op + " takes float32 or float64 tensors of one type; got "
                        + java.util.Arrays.stream(ts).map(y -> y.dtype().toString()).toList());
            }
        }
        return t == DType.F64;
    }

    private static long rows(Tensor x) {
        int c = x.shape()[x.dim() - 1];
        return c == 0 ? 0 : x.numel() / c;
    }

    /**
     * How many slices of an n-long axis a sum with {@code outputs} results is split into (1: one thread per output
     * already fills the GPU, or the axis is short). A bias gradient of GPT-2 small ([4096, 768] summed over rows) took
     * 1.3 ms on an H200 with one thread per column: 768 threads on 132 multiprocessors.
     */
    static long sumParts(long n, long outputs) {
        if (n < 64 || outputs >= (1 << 16)) {
            return 1;
        }
        return Math.max(1, Math.min((n + 31) / 32, ((1L << 18) + outputs - 1) / outputs));
    }

    /** out (any strides) = the sum of {@code parts} contiguous slices of {@code partial}, each out's size, in order. */
    private void addSlices(Tensor partial, long parts, Tensor out, Arena arena, String op) {
        Layout l = Layout.of(out.shape(), new int[][] {out.strides()}, new long[] {out.offset()});
        run(Kernel.SUM_PARTS_F32, l.numel(), new Kernels.Args(arena).layout(l).i64(parts).ptr(first(partial))
                .ptr(base(out)).i32(code(out.dtype())), op);
    }

    private void runRows(Kernel k, long rows, Kernels.Args a, String op) {
        if (rows == 0) {
            return;
        }
        launch(k, (int) Math.min(rows, 1 << 20), a, op);
    }

    @Override
    public void softmax(Tensor x, Tensor out, boolean log) {
        bind();
        boolean w = rowsWide("softmax", x, out);
        try (Arena arena = Arena.ofConfined()) {
            runRows(w ? Kernel.SOFTMAX_F64 : Kernel.SOFTMAX_F32, rows(x), new Kernels.Args(arena).ptr(first(x))
                    .ptr(first(out)).i64(rows(x)).i32(x.shape()[x.dim() - 1]).i32(log ? 1 : 0),
                    log ? "log_softmax" : "softmax");
        }
    }

    private static long addressOrNull(Tensor t) {
        return t == null ? 0 : first(t);
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd) {
        bind();
        boolean w = rowsWide("layer_norm", x, out, mean, rstd);
        try (Arena arena = Arena.ofConfined()) {
            runRows(w ? Kernel.LAYER_NORM_F64 : Kernel.LAYER_NORM_F32, rows(x), new Kernels.Args(arena).ptr(first(x))
                    .ptr(addressOrNull(weight)).i32(weight == null ? 0 : code(weight.dtype()))
                    .i64(weight == null ? 0 : weight.strides()[0]).ptr(addressOrNull(bias))
                    .i32(bias == null ? 0 : code(bias.dtype())).i64(bias == null ? 0 : bias.strides()[0]).f64(eps)
                    .ptr(first(out)).ptr(first(mean)).ptr(first(rstd)).i64(rows(x)).i32(x.shape()[x.dim() - 1]),
                    "layer_norm");
        }
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor g, Tensor dx,
            Tensor dweight, Tensor dbias) {
        if (!contiguousF32(x, mean, rstd, g, dx, dweight, dbias)) {
            Backend.super.layerNormBackward(x, weight, mean, rstd, g, dx, dweight, dbias);
            return;
        }
        normBackward(x, weight, mean, rstd, g, dx, dweight, dbias);
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor g, Tensor dx, Tensor dweight) {
        if (!contiguousF32(x, null, rstd, g, dx, dweight, null)) {
            Backend.super.rmsNormBackward(x, weight, rstd, g, dx, dweight);
            return;
        }
        normBackward(x, weight, null, rstd, g, dx, dweight, null);
    }

    /** Whether every tensor given (nulls aside) is contiguous float32: what the fused kernels take. */
    private static boolean contiguousF32(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && (t.dtype() != DType.F32 || !t.isContiguous())) {
                return false;
            }
        }
        return true;
    }

    /** Layer norm's gradients, or RMS norm's when {@code mean} is null. */
    private void normBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor g, Tensor dx, Tensor dweight,
            Tensor dbias) {
        bind();
        long n = rows(x);
        int c = x.shape()[x.dim() - 1];
        String op = mean == null ? "rms_norm backward" : "layer_norm backward";
        try (Arena arena = Arena.ofConfined()) {
            runRows(Kernel.LAYER_NORM_BACKWARD_F32, n, new Kernels.Args(arena).ptr(first(x)).ptr(first(g))
                    .ptr(addressOrNull(weight)).i32(weight == null ? 0 : code(weight.dtype()))
                    .i64(weight == null ? 0 : weight.strides()[0]).ptr(addressOrNull(mean)).ptr(first(rstd))
                    .ptr(first(dx)).i64(n).i32(c), op);
            if (dweight != null || dbias != null) {
                int parts = (int) sumParts(n, c);
                String name = op + " (weight, bias)";
                try (Scope temp = Scope.open("norm parts")) {
                    Tensor dw = parts == 1 || dweight == null ? dweight : Tensor.empty(this, DType.F32, parts, c);
                    Tensor db = parts == 1 || dbias == null ? dbias : Tensor.empty(this, DType.F32, parts, c);
                    run(Kernel.LAYER_NORM_PARAM_GRADS_F32, (long) parts * c, new Kernels.Args(arena).ptr(first(x))
                            .ptr(first(g)).ptr(addressOrNull(mean)).ptr(first(rstd)).ptr(addressOrNull(dw))
                            .ptr(addressOrNull(db)).i64(n).i32(c).i64(parts), name);
                    if (parts > 1 && dweight != null) {
                        addSlices(dw, parts, dweight, arena, name);
                    }
                    if (parts > 1 && dbias != null) {
                        addSlices(db, parts, dbias, arena, name);
                    }
                }
            }
        }
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out, Tensor rstd) {
        bind();
        boolean w = rowsWide("rms_norm", x, out, rstd);
        try (Arena arena = Arena.ofConfined()) {
            runRows(w ? Kernel.RMS_NORM_F64 : Kernel.RMS_NORM_F32, rows(x), new Kernels.Args(arena).ptr(first(x))
                    .ptr(addressOrNull(weight)).i32(weight == null ? 0 : code(weight.dtype()))
                    .i64(weight == null ? 0 : weight.strides()[0]).f64(eps).ptr(first(out)).ptr(first(rstd))
                    .i64(rows(x)).i32(x.shape()[x.dim() - 1]), "rms_norm");
        }
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor targets, long ignoreIndex, Tensor loss, Tensor logSumExp) {
        bind();
        boolean w = rowsWide("cross_entropy", logits, loss, logSumExp);
        long n = logits.shape()[0];
        try (Arena arena = Arena.ofConfined()) {
            runRows(w ? Kernel.CROSS_ENTROPY_F64 : Kernel.CROSS_ENTROPY_F32, n, new Kernels.Args(arena)
                    .ptr(first(logits)).ptr(first(targets)).i32(code(targets.dtype())).i64(ignoreIndex)
                    .ptr(first(loss)).ptr(first(logSumExp)).i64(n).i32(logits.shape()[1]), "cross_entropy");
        }
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, long ignoreIndex, double scale,
            Tensor grad) {
        bind();
        boolean w = rowsWide("cross_entropy_backward", logits, logSumExp, grad);
        long n = logits.shape()[0];
        try (Arena arena = Arena.ofConfined()) {
            runRows(w ? Kernel.CROSS_ENTROPY_BACKWARD_F64 : Kernel.CROSS_ENTROPY_BACKWARD_F32, n,
                    new Kernels.Args(arena).ptr(first(logits)).ptr(first(targets)).i32(code(targets.dtype()))
                            .ptr(first(logSumExp)).i64(ignoreIndex).f64(scale).ptr(first(grad)).i64(n)
                            .i32(logits.shape()[1]), "cross_entropy_backward");
        }
    }

    // ------------------------------------------------------------------------------------------ attention

    /** The head size the attention kernels take: a lane holds up to 8 of a row's dimensions. */
    static final int MAX_ATTENTION_HEAD = 256;

    private static boolean fusable(Tensor q, Tensor k, Tensor v) {
        return q.dim() == 4 && q.dtype() == DType.F32 && k.dtype() == DType.F32 && v.dtype() == DType.F32
                && q.shape()[3] <= MAX_ATTENTION_HEAD;
    }

    /** The AttnDims struct of attention.cu: sizes, then each view's offset and four strides. */
    private static long[] attentionDims(Tensor q, Tensor k, Tensor bias, Tensor... views) {
        long[] a = new long[6 + 5 * 5];
        a[0] = q.shape()[0];
        a[1] = q.shape()[1];
        a[2] = q.shape()[2];
        a[3] = k.shape()[2];
        a[4] = q.shape()[3];
        a[5] = bias == null ? 0 : 1;
        for (int i = 0; i < views.length; i++) {
            Tensor t = views[i];
            if (t == null) {
                continue;
            }
            a[6 + 5 * i] = t.offset();
            for (int d = 0; d < 4; d++) {
                a[7 + 5 * i + d] = t.strides()[d];
            }
        }
        return a;
    }

    /** Rows per block of the tiled attention kernels, and their threads per block (TILE in attention.cu). */
    static final int ATTENTION_TILE = 64;
    /** The largest head the tiled kernels hold in registers (TD in attention.cu); larger heads take the warp kernels. */
    static final int TILED_ATTENTION_HEAD = 64;

    /**
     * One attention kernel over {@code rowsPerHead} rows (queries or keys) of each (batch, head): {@code tiled}, a
     * block of {@link #ATTENTION_TILE} threads per tile of rows, for heads up to {@link #TILED_ATTENTION_HEAD}; else
     * {@code warps}, a warp per row in blocks of 256 threads.
     */
    private void launchAttention(Tensor q, long rowsPerHead, Kernel tiled, Kernel warps, Kernels.Args args, String op) {
        long heads = (long) q.shape()[0] * q.shape()[1];
        if (q.shape()[3] <= TILED_ATTENTION_HEAD) {
            long tiles = heads * ((rowsPerHead + ATTENTION_TILE - 1) / ATTENTION_TILE);
            launch(tiled, (int) Math.min(tiles, 1 << 20), ATTENTION_TILE, args, op);
        } else {
            launch(warps, (int) Math.min((heads * rowsPerHead + 7) / 8, 1 << 20), 256, args, op); // 8 warps a block
        }
    }

    /**
     * Never by speed, as measured: the first kernels (one warp per row, keys read from global memory) made a GPT-2
     * small training step (8 x 512 tokens) take 603 ms on an H200, against 200 ms with the scores materialised and
     * cuBLAS's batched products. The tiled kernels (heads up to 64) came after that GPU run and are not yet timed on
     * one: {@code GpuBenchmark attention} compares both paths; until it has run, speed stays with cuBLAS.
     */
    @Override
    public boolean fusedAttentionFaster(int queries, int keys) {
        return false;
    }

    /** Fused only where the scores would take over 1 GiB: a GPU has the memory to trade for the speed. */
    @Override
    public long fuseAttentionAboveBytes() {
        return 1L << 30;
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse) {
        // dropout inside the kernels (DropoutMask's hash per score) waits for a GPU to test it on
        if (!fusable(q, k, v) || dropout != null) {
            Backend.super.attention(q, k, v, bias, scale, dropout, out, lse);
            return;
        }
        bind();
        try (Arena arena = Arena.ofConfined()) {
            launchAttention(q, q.shape()[2], Kernel.ATTENTION_TILED_FORWARD_F32, Kernel.ATTENTION_FORWARD_F32,
                    new Kernels.Args(arena).longs(attentionDims(q, k, bias, q, k, v, bias, null)).f64(scale)
                    .ptr(base(q)).ptr(base(k)).ptr(base(v)).ptr(bias == null ? 0 : base(bias))
                    .i32(bias == null ? 0 : code(bias.dtype())).ptr(first(out)).ptr(first(lse)), "attention");
        }
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout,
            Tensor out, Tensor lse, Tensor gradOut, Tensor gq, Tensor gk, Tensor gv, Tensor gBias) {
        // like dropout, the bias's gradient (T5's position bias) waits for a GPU to test the kernels' version on
        if (!fusable(q, k, v) || gradOut.dtype() != DType.F32 || dropout != null || gBias != null) {
            Backend.super.attentionBackward(q, k, v, bias, scale, dropout, out, lse, gradOut, gq, gk, gv, gBias);
            return;
        }
        bind();
        // per query row: rowsum(dO O), and the shift and factor that turn exp(s - shift) into the probability
        Tensor delta = Tensor.empty(this, DType.F32, q.shape()[0], q.shape()[1], q.shape()[2]);
        Tensor shift = Tensor.empty(this, DType.F32, q.shape()[0], q.shape()[1], q.shape()[2]);
        Tensor factor = Tensor.empty(this, DType.F32, q.shape()[0], q.shape()[1], q.shape()[2]);
        long[] dims = attentionDims(q, k, bias, q, k, v, bias, gradOut);
        long biasAddress = bias == null ? 0 : base(bias);
        int biasType = bias == null ? 0 : code(bias.dtype());
        try (Arena arena = Arena.ofConfined()) {
            launchAttention(q, q.shape()[2], Kernel.ATTENTION_TILED_BACKWARD_DQ_F32, Kernel.ATTENTION_BACKWARD_DQ_F32,
                    new Kernels.Args(arena).longs(dims).f64(scale)
                    .ptr(base(q)).ptr(base(k)).ptr(base(v)).ptr(biasAddress).i32(biasType).ptr(first(out))
                    .ptr(first(lse)).ptr(base(gradOut)).ptr(first(gq)).ptr(first(delta)).ptr(first(shift))
                    .ptr(first(factor)), "attention backward (dq)");
            launchAttention(q, k.shape()[2], Kernel.ATTENTION_TILED_BACKWARD_DKV_F32,
                    Kernel.ATTENTION_BACKWARD_DKV_F32, new Kernels.Args(arena).longs(dims).f64(scale)
                    .ptr(base(q)).ptr(base(k)).ptr(base(v)).ptr(biasAddress).i32(biasType).ptr(first(shift))
                    .ptr(first(factor)).ptr(base(gradOut)).ptr(first(delta)).ptr(first(gk)).ptr(first(gv)),
                    "attention backward (dk, dv)");
        }
    }

    /** The mask drawn on the device, per element (the default draws it on the host and uploads it). */
    @Override
    public void dropout(Tensor x, DropoutMask mask, Tensor out) {
        if (!contiguousF32(x, out) || x.numel() == 0) {
            Backend.super.dropout(x, mask, out);
            return;
        }
        bind();
        long cols = x.dim() == 0 ? 1 : x.size(-1);
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.DROPOUT_F32, x.numel(), new Kernels.Args(arena).i64(x.numel()).i64(cols).ptr(first(x))
                    .ptr(first(out)).i64(mask.seed()).i32(mask.threshold()).f32(mask.keepScale()), "dropout");
        }
    }

    @Override
    public void adamw(Tensor p, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
            double decay, double bc1, double bc2) {
        // the kernel walks p.numel() elements of all four: a broadcast gradient (fewer elements) takes the default
        if (!contiguousF32(p, grad, m, v) || grad.numel() != p.numel() || m.numel() != p.numel()
                || v.numel() != p.numel()) {
            Backend.super.adamw(p, grad, m, v, lr, beta1, beta2, eps, decay, bc1, bc2);
            return;
        }
        bind();
        try (Arena arena = Arena.ofConfined()) {
            run(Kernel.ADAMW_F32, p.numel(), new Kernels.Args(arena).i64(p.numel()).ptr(first(p)).ptr(first(grad))
                    .ptr(first(m)).ptr(first(v)).f32((float) lr).f32((float) beta1).f32((float) beta2)
                    .f32((float) eps).f32((float) decay).f32((float) bc1).f32((float) bc2), "adamw");
        }
    }
}
