package dev.t4j.tensor;

import dev.t4j.autograd.Backprop;
import dev.t4j.autograd.GradMode;
import dev.t4j.autograd.GradNode;
import dev.t4j.backend.Backend;
import dev.t4j.backend.Backends;
import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.DropoutMask;
import dev.t4j.backend.ReduceOp;
import dev.t4j.backend.UnaryOp;
import dev.t4j.memory.Owned;
import dev.t4j.memory.Scope;
import dev.t4j.memory.Storage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * An n-dimensional array with PyTorch's semantics: a view (shape, strides, offset) over a {@link Storage} that a
 * {@link Backend} owns, an element {@link DType}, and, when it takes part in a differentiable computation, the
 * {@link GradNode} that produced it. Views (reshape, permute, transpose, narrow, expand) share storage and
 * copy nothing. Operations broadcast like numpy. Memory is released by the {@link Scope} the storage was
 * allocated in, never by the garbage collector.
 *
 * <p>Methods whose name ends in {@code _} modify the tensor in place (PyTorch's convention); they are not
 * recorded by autograd and refuse tensors that require grad while recording is on.
 */
public final class Tensor implements Owned {
    private final Backend backend;
    private final Storage storage;
    private final DType dtype;
    private final int[] shape;
    private final int[] strides;
    private final long offset;
    private boolean requiresGrad;
    private Tensor grad;
    private boolean gradZeroed; // zeroGrad's zeros not yet written: the next accumulation copies instead of adding
    private boolean gradClaimed; // handed to a backward by newGradient, not yet accumulated
    private GradNode gradFn;

    Tensor(Backend backend, Storage storage, DType dtype, int[] shape, int[] strides, long offset) {
        this.backend = backend;
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ------------------------------------------------------------------------------------------ creation

    /** Uninitialised tensor on {@code backend}. */
    public static Tensor empty(Backend backend, DType dtype, int... shape) {
        int[] s = shape.clone();
        Shapes.checkShape(s);
        Storage storage = backend.allocate(Math.max(1, Shapes.numel(s)) * dtype.byteSize());
        return new Tensor(backend, storage, dtype, s, Shapes.contiguousStrides(s), 0);
    }

    public static Tensor empty(DType dtype, int... shape) {
        return empty(Backends.defaultBackend(), dtype, shape);
    }

    public static Tensor full(Backend backend, DType dtype, double value, int... shape) {
        Tensor t = empty(backend, dtype, shape);
        backend.fill(t, value);
        return t;
    }

    public static Tensor full(double value, int... shape) {
        return full(Backends.defaultBackend(), DType.F32, value, shape);
    }

    public static Tensor zeros(int... shape) {
        return full(0, shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return full(Backends.defaultBackend(), dtype, 0, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1, shape);
    }

    /**
     * A tensor over an existing storage, contiguous from element {@code offset} (checkpoint loaders use it to
     * view memory-mapped weights without copying).
     */
    public static Tensor fromStorage(Backend backend, Storage storage, DType dtype, long offset, int... shape) {
        int[] s = shape.clone();
        Shapes.checkShape(s);
        if ((offset + Shapes.numel(s)) * dtype.byteSize() > storage.bytes()) {
            throw new IllegalArgumentException("shape " + Shapes.str(s) + " of " + dtype + " at offset " + offset
                    + " does not fit in a storage of " + storage.bytes() + " bytes");
        }
        return new Tensor(backend, storage, dtype, s, Shapes.contiguousStrides(s), offset);
    }

    /** A rank-0 float32 tensor. */
    public static Tensor scalar(double value) {
        return full(value);
    }

    /** Zeros of this tensor's shape, type and backend. */
    public Tensor zerosLike() {
        return full(backend, dtype, 0, shape);
    }

    /** 0, 1, ..., end-1 as int64 (as torch.arange with an integer). */
    public static Tensor arange(long end) {
        long[] v = new long[Math.toIntExact(end)];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        return of(v, v.length);
    }

    /** start, start+step, ... below end, as float32. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || (end - start) / step < 0) {
            throw new IllegalArgumentException("arange(" + start + ", " + end + ", " + step + ") is empty or endless");
        }
        int n = (int) Math.ceil((end - start) / step);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (start + i * step);
        }
        return of(v, n);
    }

    public static Tensor of(float[] data, int... shape) {
        return upload(Backends.defaultBackend(), DType.F32, MemorySegment.ofArray(data), data.length, shape);
    }

    public static Tensor of(double[] data, int... shape) {
        return upload(Backends.defaultBackend(), DType.F64, MemorySegment.ofArray(data), data.length, shape);
    }

    public static Tensor of(long[] data, int... shape) {
        return upload(Backends.defaultBackend(), DType.I64, MemorySegment.ofArray(data), data.length, shape);
    }

    public static Tensor of(int[] data, int... shape) {
        return upload(Backends.defaultBackend(), DType.I32, MemorySegment.ofArray(data), data.length, shape);
    }

    /** A tensor on {@code backend} holding {@code count} elements of {@code dtype} read from host memory. */
    public static Tensor upload(Backend backend, DType dtype, MemorySegment host, long count, int... shape) {
        if (Shapes.numel(shape) != count) {
            throw new IllegalArgumentException(count + " values do not fill shape " + Shapes.str(shape)
                    + " (" + Shapes.numel(shape) + " elements)");
        }
        Tensor t = empty(backend, dtype, shape);
        backend.upload(host, t);
        return t;
    }

    /** Standard normal samples drawn from {@code gen}. */
    public static Tensor randn(Generator gen, int... shape) {
        float[] v = new float[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) gen.nextGaussian();
        }
        return of(v, shape);
    }

    /** Uniform samples in [0, 1) drawn from {@code gen}. */
    public static Tensor rand(Generator gen, int... shape) {
        float[] v = new float[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) gen.nextDouble();
        }
        return of(v, shape);
    }

    /** Uniform int64 samples in [0, high). */
    public static Tensor randint(Generator gen, int high, int... shape) {
        long[] v = new long[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = gen.nextInt(high);
        }
        return of(v, shape);
    }

    // ------------------------------------------------------------------------------------------ metadata

    public int[] shape() {
        return shape.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    /** Offset of the first element in the storage, in elements. */
    public long offset() {
        return offset;
    }

    public DType dtype() {
        return dtype;
    }

    public Backend backend() {
        return backend;
    }

    public Device device() {
        return backend.device();
    }

    @Override
    public Storage storage() {
        return storage;
    }

    public int dim() {
        return shape.length;
    }

    public int size(int dim) {
        return shape[Shapes.axis(dim, shape.length)];
    }

    public long numel() {
        return Shapes.numel(shape);
    }

    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ data out

    /** The elements in row-major order, converted to float. */
    public float[] toFloatArray() {
        Tensor c = to(DType.F32).contiguous();
        float[] out = new float[Math.toIntExact(c.numel())];
        c.backend.download(c, MemorySegment.ofArray(out));
        return out;
    }

    public double[] toDoubleArray() {
        Tensor c = to(DType.F64).contiguous();
        double[] out = new double[Math.toIntExact(c.numel())];
        c.backend.download(c, MemorySegment.ofArray(out));
        return out;
    }

    public long[] toLongArray() {
        Tensor c = to(DType.I64).contiguous();
        long[] out = new long[Math.toIntExact(c.numel())];
        c.backend.download(c, MemorySegment.ofArray(out));
        return out;
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw new IllegalStateException("item() needs a tensor of one element, this one has shape "
                    + Shapes.str(shape));
        }
        return toDoubleArray()[0];
    }

    /** One element, by index (slow: meant for tests and debugging). */
    public double get(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
                    + " coordinates for a tensor of shape " + Shapes.str(shape));
        }
        Tensor t = this;
        for (int i = index.length - 1; i >= 0; i--) {
            t = t.select(i, index[i]);
        }
        try (var g = GradMode.noGrad()) {
            return t.item();
        }
    }

    // ------------------------------------------------------------------------------------------ autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor (a parameter) as needing gradients; returns this. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) {
            throw new IllegalStateException("requiresGrad(false) on a tensor computed by '" + gradFn.name()
                    + "': use detach() to cut it from the graph");
        }
        if (value && !dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("only floating-point tensors can require grad, not " + dtype);
        }
        this.requiresGrad = value;
        return this;
    }

    /** The accumulated gradient of a leaf, or null before the first backward. */
    public Tensor grad() {
        if (gradZeroed) {
            backend.fill(grad, 0);
            gradZeroed = false;
        }
        return grad;
    }

    public GradNode gradFn() {
        return gradFn;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** Backpropagates from a one-element tensor (a loss), freeing the graph as it goes. */
    public void backward() {
        backward(full(backend, dtype, 1, shape), false);
    }

    /** Backpropagates {@code gradient} (shaped like this tensor); keeps the graph if {@code retainGraph}. */
    public void backward(Tensor gradient, boolean retainGraph) {
        if (numel() != 1 && gradient == null) {
            throw new IllegalStateException("backward() without a gradient needs a one-element tensor, got shape "
                    + Shapes.str(shape));
        }
        Backprop.backward(this, gradient, retainGraph);
    }

    /**
     * Adds {@code g} into {@link #grad()}, allocating it on first use in the scope that owns this tensor (so
     * parameter gradients live as long as the parameters). Called by backward.
     */
    public void accumulateGrad(Tensor g) {
        if (!requiresGrad) {
            return;
        }
        if (gradClaimed && g == grad) { // a backward wrote the gradient into it (newGradient): nothing to copy
            gradClaimed = false;
            gradZeroed = false;
            return;
        }
        Tensor same = g.dtype == dtype ? g : g.to(dtype);
        if (grad == null || gradZeroed) {
            grad = grad == null ? newGrad() : grad;
            backend.copy(same, grad);
            gradZeroed = false;
        } else {
            backend.binary(BinaryOp.ADD, grad, same, grad);
        }
    }

    /**
     * Adds {@code g}, placed as {@code place} says (a slice, rows at indices), into {@link #grad()}: the zeros around
     * it are never summed. Called by backward for the views and lookups that take part of a leaf (an embedding table).
     */
    public void accumulateGrad(GradNode.Placement place, Tensor g) {
        if (!requiresGrad) {
            return;
        }
        if (grad == null) {
            grad = newGrad();
            gradZeroed = true; // grad() writes the zeros
        }
        place.addInto(grad(), g.dtype == dtype ? g : g.to(dtype));
    }

    /**
     * Memory for this tensor's whole gradient, which a backward writes and returns: a leaf's own gradient buffer while
     * its values are not wanted (none yet, or zeroed by {@link #zeroGrad}) and it is of {@code dtype} on {@code on},
     * so that {@link #accumulateGrad} has nothing to copy; else a new tensor of this shape. A linear layer's weight
     * and bias gradients go there (the copies took 2-3 ms of a GPT training step of ~700 on one thread). The buffer
     * is handed out once a pass, and not when it holds values to add to or is a view set by {@link #setGrad}.
     */
    Tensor newGradient(Backend on, DType dtype) {
        boolean claimable = requiresGrad && gradFn == null && !gradClaimed && dtype == this.dtype && on == backend
                && (grad == null || (gradZeroed && grad.isContiguous()));
        if (!claimable) {
            return empty(on, dtype, shape);
        }
        if (grad == null) {
            grad = newGrad();
            gradZeroed = true; // until the claim is accumulated, grad() reads zeros, as before
        }
        gradClaimed = true;
        return grad;
    }

    /** Room for the gradient, in the scope that owns this tensor (so parameter gradients live as long as parameters). */
    private Tensor newGrad() {
        Scope owner = storage.owner();
        return Scope.within(owner == null ? Scope.current() : owner, () -> empty(backend, dtype, shape));
    }

    /**
     * Zeros the gradient (its memory is reused step after step, so long runs stay flat). The zeros are written only
     * if the gradient is read before the next backward pass: that pass copies into it instead of adding to zeros, as
     * PyTorch's zero_grad(set_to_none=True) spares the fill and the add (t5-small training: the [32128, 512]
     * embedding's fill and one of its three adds, ~10 ms a step).
     */
    public void zeroGrad() {
        gradZeroed = grad != null;
        gradClaimed = false;
    }

    /** Replaces the gradient (optimizers and tests); null clears it. */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("gradient shape " + Shapes.str(g.shape) + " does not match "
                    + Shapes.str(shape));
        }
        this.grad = g;
        this.gradZeroed = false;
        this.gradClaimed = false;
    }

    /** The same data, cut from the graph. */
    public Tensor detach() {
        return new Tensor(backend, storage, dtype, shape, strides, offset);
    }

    static Tensor record(Tensor out, String name, GradNode.Backward backward, Tensor... inputs) {
        return record(out, name, backward, null, inputs);
    }

    /** {@link #record} for a node whose backward can add its first input's pending gradient into its own. */
    static Tensor recordAccumulating(Tensor out, String name, GradNode.AccumulatingBackward backward,
            Tensor... inputs) {
        return record(out, inputs, () -> GradNode.accumulating(name, backward, inputs));
    }

    /** {@link #record} for a node whose backward {@code placement} describes (see {@link GradNode.Placement}). */
    static Tensor record(Tensor out, String name, GradNode.Backward backward, GradNode.Placement placement,
            Tensor... inputs) {
        return record(out, inputs, () -> new GradNode(name, backward, placement, inputs));
    }

    /** out with the node made by {@code node} as its gradFn, when gradients are on and some input requires one. */
    private static Tensor record(Tensor out, Tensor[] inputs, Supplier<GradNode> node) {
        if (!GradMode.isEnabled()) {
            return out;
        }
        for (Tensor in : inputs) {
            if (in != null && in.requiresGrad) {
                out.gradFn = node.get();
                out.requiresGrad = true;
                break;
            }
        }
        return out;
    }

    private void checkInPlace(String op) {
        if (requiresGrad && GradMode.isEnabled()) {
            throw new IllegalStateException(op + " on a tensor that requires grad: autograd cannot see in-place "
                    + "changes. Do it inside GradMode.noGrad() (as optimizers do).");
        }
    }

    // ------------------------------------------------------------------------------------------ views

    private Tensor view(int[] newShape, int[] newStrides, long newOffset) {
        return new Tensor(backend, storage, dtype, newShape, newStrides, newOffset);
    }

    /**
     * The same elements in a new shape; one size may be -1. A view of this tensor's memory when its strides allow
     * (as PyTorch's reshape: splitting or merging dims that are contiguous among themselves), else a copy.
     */
    public Tensor reshape(int... newShape) {
        int[] target = inferShape(newShape);
        if (Arrays.equals(target, shape)) {
            return this;
        }
        int[] from = shape;
        int[] inPlace = isContiguous() ? null : Shapes.viewStrides(shape, strides, target);
        if (inPlace != null) {
            return record(view(target, inPlace, offset), "reshape", g -> new Tensor[] {g.reshape(from)}, this);
        }
        Tensor src = contiguous();
        Tensor out = src.view(target, Shapes.contiguousStrides(target), src.offset);
        return record(out, "reshape", g -> new Tensor[] {g.reshape(from)}, src);
    }

    /** Alias of {@link #reshape} (PyTorch's name for the no-copy case). */
    public Tensor view(int... newShape) {
        return reshape(newShape);
    }

    public Tensor flatten() {
        return reshape(-1);
    }

    private int[] inferShape(int[] requested) {
        int[] s = requested.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one size may be -1 in " + Arrays.toString(requested));
                }
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("negative size in shape " + Arrays.toString(requested));
            } else {
                known *= s[i];
            }
        }
        long n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " (" + n
                        + " elements) to " + Arrays.toString(requested));
            }
            s[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " (" + n + " elements) to "
                    + Arrays.toString(requested) + " (" + known + " elements)");
        }
        return s;
    }

    /** Reorders the dimensions: result dim i is this tensor's dim {@code dims[i]}. */
    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute " + Arrays.toString(dims) + " for a tensor of rank "
                    + shape.length);
        }
        int[] s = new int[dims.length];
        int[] st = new int[dims.length];
        int[] inverse = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.axis(dims[i], shape.length);
            if (seen[d]) {
                throw new IllegalArgumentException("permute repeats dim " + d + ": " + Arrays.toString(dims));
            }
            seen[d] = true;
            s[i] = shape[d];
            st[i] = strides[d];
            inverse[d] = i;
        }
        return record(view(s, st, offset), "permute", g -> new Tensor[] {g.permute(inverse)}, this);
    }

    public Tensor transpose(int dim0, int dim1) {
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        int a = Shapes.axis(dim0, shape.length);
        int b = Shapes.axis(dim1, shape.length);
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** Transpose of the last two dims. */
    public Tensor mT() {
        return transpose(-2, -1);
    }

    /** Elements {@code start .. start+length-1} along {@code dim}, as a view. */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shapes.axis(dim, shape.length);
        if (start < 0 || length < 0 || start + length > shape[d]) {
            throw new IndexOutOfBoundsException("narrow(dim " + d + ", start " + start + ", length " + length
                    + ") outside size " + shape[d] + " of shape " + Shapes.str(shape));
        }
        int[] from = shape;
        Tensor out = view(Shapes.withSize(shape, d, length), strides, offset + (long) start * strides[d]);
        return record(out, "narrow", g -> {
            Tensor full = full(g.backend, g.dtype, 0, from);
            full.narrow(d, start, length).copy_(g);
            return new Tensor[] {full};
        }, new GradNode.Slice(d, start, length), this);
    }

    /** Index {@code index} of {@code dim}, removing that dim. */
    public Tensor select(int dim, int index) {
        int d = Shapes.axis(dim, shape.length);
        if (index < -shape[d] || index >= shape[d]) {
            throw new IndexOutOfBoundsException("index " + index + " out of range for dim " + d + " of size "
                    + shape[d]);
        }
        return narrow(d, index < 0 ? index + shape[d] : index, 1).squeeze(d);
    }

    /** Broadcasts size-1 dims (and new leading dims) to {@code newShape} without copying; -1 keeps a size. */
    public Tensor expand(int... newShape) {
        if (newShape.length < shape.length) {
            throw new IllegalArgumentException("cannot expand " + Shapes.str(shape) + " to fewer dims "
                    + Arrays.toString(newShape));
        }
        int lead = newShape.length - shape.length;
        int[] s = new int[newShape.length];
        int[] st = new int[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int own = i < lead ? 1 : shape[i - lead];
            int target = newShape[i] == -1 ? own : newShape[i];
            if (i < lead && newShape[i] == -1) {
                throw new IllegalArgumentException("-1 is not allowed for new leading dims in expand");
            }
            if (own != target && own != 1) {
                throw new IllegalArgumentException("cannot expand " + Shapes.str(shape) + " to "
                        + Arrays.toString(newShape) + ": dim " + i + " has size " + own);
            }
            s[i] = target;
            st[i] = i < lead || own != target ? 0 : strides[i - lead];
        }
        if (Arrays.equals(s, shape)) {
            return this;
        }
        int[] from = shape;
        return record(view(s, st, offset), "expand", g -> new Tensor[] {g.sumTo(from)}, this);
    }

    public Tensor unsqueeze(int dim) {
        int d = Shapes.axis(dim, shape.length + 1);
        int[] s = new int[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            s[i] = i == d ? 1 : shape[j++];
        }
        return reshape(s);
    }

    /** Removes {@code dim}, which must have size 1. */
    public Tensor squeeze(int dim) {
        int d = Shapes.axis(dim, shape.length);
        if (shape[d] != 1) {
            throw new IllegalArgumentException("squeeze(" + dim + ") of a dim of size " + shape[d]);
        }
        int[] s = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != d) {
                s[j] = shape[i];
                st[j++] = strides[i];
            }
        }
        int[] from = shape;
        return record(view(s, st, offset), "squeeze", g -> new Tensor[] {g.reshape(from)}, this);
    }

    /** This tensor if contiguous, else a contiguous copy. */
    public Tensor contiguous() {
        if (isContiguous()) {
            return this;
        }
        Tensor out = empty(backend, dtype, shape);
        backend.copy(this, out);
        return record(out, "contiguous", g -> new Tensor[] {g}, this);
    }

    /** A contiguous copy, always. */
    public Tensor copy() {
        Tensor out = empty(backend, dtype, shape);
        backend.copy(this, out);
        return record(out, "copy", g -> new Tensor[] {g}, this);
    }

    /** Converts the element type (a no-op when it already is {@code target}). */
    public Tensor to(DType target) {
        if (target == dtype) {
            return this;
        }
        Tensor out = empty(backend, target, shape);
        backend.copy(this, out);
        DType from = dtype;
        return target.isFloatingPoint() && from.isFloatingPoint()
                ? record(out, "to", g -> new Tensor[] {g.to(from)}, this)
                : out;
    }

    /** Copies this tensor to another backend (through the host when devices differ). */
    public Tensor to(Backend target) {
        if (target == backend) {
            return this;
        }
        Tensor c = contiguous();
        Tensor out = empty(target, dtype, shape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(Math.max(1, numel()) * dtype.byteSize(), 64);
            c.backend.download(c, host);
            target.upload(host, out);
        }
        Backend from = backend;
        return record(out, "to_device", g -> new Tensor[] {g.to(from)}, this);
    }

    // ------------------------------------------------------------------------------------------ pointwise

    public Tensor add(Tensor other) {
        return Pointwise.binary(BinaryOp.ADD, this, other);
    }

    public Tensor sub(Tensor other) {
        return Pointwise.binary(BinaryOp.SUB, this, other);
    }

    public Tensor mul(Tensor other) {
        return Pointwise.binary(BinaryOp.MUL, this, other);
    }

    public Tensor div(Tensor other) {
        return Pointwise.binary(BinaryOp.DIV, this, other);
    }

    public Tensor pow(Tensor exponent) {
        return Pointwise.binary(BinaryOp.POW, this, exponent);
    }

    /** Elementwise maximum (torch.maximum). */
    public Tensor maximum(Tensor other) {
        return Pointwise.binary(BinaryOp.MAX, this, other);
    }

    public Tensor minimum(Tensor other) {
        return Pointwise.binary(BinaryOp.MIN, this, other);
    }

    public Tensor add(double value) {
        return value == 0 ? this : Pointwise.unary(UnaryOp.ADD_SCALAR, value, this);
    }

    public Tensor sub(double value) {
        return add(-value);
    }

    public Tensor mul(double value) {
        return value == 1 ? this : Pointwise.unary(UnaryOp.SCALE, value, this);
    }

    public Tensor div(double value) {
        return mul(1.0 / value);
    }

    public Tensor pow(double exponent) {
        return Pointwise.unary(UnaryOp.POW_SCALAR, exponent, this);
    }

    public Tensor neg() {
        return Pointwise.unary(UnaryOp.NEG, 0, this);
    }

    public Tensor exp() {
        return Pointwise.unary(UnaryOp.EXP, 0, this);
    }

    public Tensor log() {
        return Pointwise.unary(UnaryOp.LOG, 0, this);
    }

    public Tensor sqrt() {
        return Pointwise.unary(UnaryOp.SQRT, 0, this);
    }

    public Tensor rsqrt() {
        return Pointwise.unary(UnaryOp.RSQRT, 0, this);
    }

    public Tensor reciprocal() {
        return Pointwise.unary(UnaryOp.RECIP, 0, this);
    }

    public Tensor tanh() {
        return Pointwise.unary(UnaryOp.TANH, 0, this);
    }

    public Tensor erf() {
        return Pointwise.unary(UnaryOp.ERF, 0, this);
    }

    public Tensor abs() {
        return Pointwise.unary(UnaryOp.ABS, 0, this);
    }

    public Tensor sign() {
        return Pointwise.unary(UnaryOp.SIGN, 0, this);
    }

    public Tensor sigmoid() {
        return Pointwise.unary(UnaryOp.SIGMOID, 0, this);
    }

    public Tensor relu() {
        return Pointwise.unary(UnaryOp.RELU, 0, this);
    }

    /** GELU, exact form x * Phi(x) (BERT; torch's default). */
    public Tensor gelu() {
        return Pointwise.unary(UnaryOp.GELU, 0, this);
    }

    /** GELU, tanh approximation (GPT-2's "gelu_new"). */
    public Tensor geluTanh() {
        return Pointwise.unary(UnaryOp.GELU_TANH, 0, this);
    }

    public Tensor sin() {
        return Pointwise.unary(UnaryOp.SIN, 0, this);
    }

    public Tensor cos() {
        return Pointwise.unary(UnaryOp.COS, 0, this);
    }

    public Tensor eq(Tensor other) {
        return Pointwise.compare(BinaryOp.EQ, this, other);
    }

    public Tensor ne(Tensor other) {
        return Pointwise.compare(BinaryOp.NE, this, other);
    }

    public Tensor lt(Tensor other) {
        return Pointwise.compare(BinaryOp.LT, this, other);
    }

    public Tensor le(Tensor other) {
        return Pointwise.compare(BinaryOp.LE, this, other);
    }

    public Tensor gt(Tensor other) {
        return Pointwise.compare(BinaryOp.GT, this, other);
    }

    public Tensor ge(Tensor other) {
        return Pointwise.compare(BinaryOp.GE, this, other);
    }

    /** {@code cond ? a : b} elementwise, broadcasting all three. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return Pointwise.where(cond, a, b);
    }

    /** This tensor with {@code value} where {@code mask} is true (mask broadcasts). */
    public Tensor maskedFill(Tensor mask, double value) {
        return Pointwise.where(mask, full(backend, dtype, value), this);
    }

    // ------------------------------------------------------------------------------------------ reductions

    /** Sum of all elements, as a rank-0 tensor. */
    public Tensor sum() {
        return Reductions.reduceAll(this);
    }

    public Tensor sum(int dim, boolean keepDim) {
        return Reductions.sum(this, dim, keepDim);
    }

    public Tensor mean() {
        return sum().mul(1.0 / numel());
    }

    public Tensor mean(int dim, boolean keepDim) {
        return sum(dim, keepDim).mul(1.0 / size(dim));
    }

    /** Maximum along {@code dim} (gradient flows to the first maximal element). */
    public Tensor max(int dim, boolean keepDim) {
        return Reductions.extreme(this, dim, keepDim, true);
    }

    public Tensor min(int dim, boolean keepDim) {
        return Reductions.extreme(this, dim, keepDim, false);
    }

    /** Largest element overall, as a rank-0 tensor. */
    public Tensor max() {
        return reshape(-1).max(0, false);
    }

    /** Index of the maximum along {@code dim}, int64. */
    public Tensor argmax(int dim, boolean keepDim) {
        return Reductions.arg(this, ReduceOp.ARGMAX, dim, keepDim);
    }

    public Tensor argmin(int dim, boolean keepDim) {
        return Reductions.arg(this, ReduceOp.ARGMIN, dim, keepDim);
    }

    /** Variance along {@code dim} with {@code correction} (0: population, 1: unbiased, as torch.var). */
    public Tensor var(int dim, boolean keepDim, int correction) {
        int d = Shapes.axis(dim, shape.length);
        Tensor centred = sub(mean(d, true));
        return centred.mul(centred).sum(d, keepDim).mul(1.0 / Math.max(0, shape[d] - correction));
    }

    /** Sums broadcast dims away so the result has {@code target} shape (the backward of broadcasting). */
    public Tensor sumTo(int[] target) {
        return Reductions.sumTo(this, target);
    }

    // ------------------------------------------------------------------------------------------ linear algebra

    /** Matrix product with numpy semantics: batched and broadcast over leading dims, 1-D operands promoted. */
    public Tensor matmul(Tensor other) {
        return MatMul.matmul(this, other);
    }

    // ------------------------------------------------------------------------------------------ neural-network ops

    public Tensor softmax(int dim) {
        return NeuralOps.softmax(this, dim, false);
    }

    public Tensor logSoftmax(int dim) {
        return NeuralOps.softmax(this, dim, true);
    }

    /** Layer norm over the last dim; weight and bias (shape [C]) may be null. */
    public Tensor layerNorm(Tensor weight, Tensor bias, double eps) {
        return NeuralOps.layerNorm(this, weight, bias, eps);
    }

    /** RMS norm over the last dim (T5: no mean subtraction, no bias). */
    public Tensor rmsNorm(Tensor weight, double eps) {
        return NeuralOps.rmsNorm(this, weight, eps);
    }

    /** Zeroes each element with probability p and scales the rest by 1/(1-p); identity when not training. */
    public Tensor dropout(double p, Generator gen, boolean training) {
        return NeuralOps.dropout(this, p, gen, training);
    }

    /**
     * This tensor times the factors of {@code mask} (0 with its probability, else 1 / (1 - p)), a function of the
     * mask's seed and each element's (row, column) in rows of the last dim: the same mask, however often it is drawn.
     */
    public Tensor dropout(DropoutMask mask) {
        return NeuralOps.dropout(this, mask);
    }

    /**
     * Mean cross-entropy of logits [..., C] against integer targets [...], skipping targets equal to
     * {@code ignoreIndex} (as torch's default -100). NaN when every target is ignored, as in torch.
     */
    public Tensor crossEntropy(Tensor targets, long ignoreIndex) {
        return NeuralOps.crossEntropy(this, targets, ignoreIndex);
    }

    /**
     * {@code x.matmul(weight.mT()).crossEntropy(targets, ignoreIndex)} for x [..., d] and an LM head's weight [V, d],
     * computed in chunks of rows so that the [..., V] logits are never in memory whole (nor their gradient): the
     * loss to train a language model with when the logits themselves are not needed. Same value and gradients as the
     * two ops, up to float rounding.
     */
    public static Tensor linearCrossEntropy(Tensor x, Tensor weight, Tensor targets, long ignoreIndex) {
        return NeuralOps.linearCrossEntropy(x, weight, targets, ignoreIndex);
    }

    /** The activation {@code act} (RELU, GELU, GELU_TANH) of this tensor, as relu(), gelu(), geluTanh(). */
    public Tensor activation(UnaryOp act) {
        return switch (act) {
            case RELU -> relu();
            case GELU -> gelu();
            case GELU_TANH -> geluTanh();
            default -> throw new IllegalArgumentException(act + " is not an activation (RELU, GELU, GELU_TANH)");
        };
    }

    /**
     * A linear layer: act(x @ w + bias) for x [..., K] and w [K, N] (pass W.mT() for an [out, in] weight), bias [N]
     * or null, act RELU / GELU / GELU_TANH or null. The bias (and, without gradients, the activation) are applied
     * as the product is written instead of in passes of their own.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias, UnaryOp act) {
        return NeuralOps.linear(x, w, bias, act);
    }

    /**
     * softmax(q k^T * scale + bias) v for q [B, H, Tq, D] and k, v [B, H, Tk, D], with bias null or broadcastable
     * to [B, H, Tq, Tk] (masks, a learned position bias): one fused op whose backward recomputes the probabilities,
     * so the [Tq, Tk] matrices are never kept (PyTorch's scaled_dot_product_attention). A bias that requires a
     * gradient gets one: the backward pass then writes the [B, H, Tq, Tk] scores' gradient once and sums it over the
     * bias's broadcast dims.
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale) {
        return NeuralOps.attention(q, k, v, bias, scale, null);
    }

    /**
     * {@link #attention(Tensor, Tensor, Tensor, Tensor, double)} with dropout on the probabilities (null: none), its
     * mask drawn from {@code dropout}'s seed inside the kernel and drawn again by the backward pass, never stored
     * (scaled_dot_product_attention's dropout_p).
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor bias, double scale, DropoutMask dropout) {
        return NeuralOps.attention(q, k, v, bias, scale, dropout);
    }

    /**
     * {@link #attention(Tensor, Tensor, Tensor, Tensor, double, DropoutMask)} of the q, k and v that one projection
     * qkv [B, T, 3 * heads * D] holds side by side (GPT-2's c_attn), each split into heads: out [B, heads, T, D]. Its
     * backward pass writes the gradient of qkv whole where the runtime allows (flash-attention's qkv-packed form),
     * instead of three gradients copied into place.
     */
    public static Tensor attentionPacked(Tensor qkv, int heads, Tensor bias, double scale, DropoutMask dropout) {
        return NeuralOps.attentionPacked(qkv, heads, bias, scale, dropout);
    }

    // ------------------------------------------------------------------------------------------ indexing

    /** Rows of {@code weight} [V, D] for each id in {@code ids} [...]: shape [..., D]. */
    public static Tensor embedding(Tensor weight, Tensor ids) {
        return Indexing.embedding(weight, ids);
    }

    public Tensor indexSelect(int dim, Tensor index) {
        return Indexing.indexSelect(this, dim, index);
    }

    public Tensor gather(int dim, Tensor index) {
        return Indexing.gather(this, dim, index);
    }

    /**
     * In place, PyTorch's index_add_: slice {@code i} of {@code source} along {@code dim} is added into slice
     * {@code index[i]} of this tensor (indices may repeat; their additions go in order). Not recorded by autograd.
     */
    public Tensor indexAdd_(int dim, Tensor index, Tensor source) {
        checkInPlace("indexAdd_");
        Indexing.indexAdd(this, dim, index, source);
        return this;
    }

    /** A copy of this tensor with {@code src} added at {@code index} along {@code dim}. */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return Indexing.scatterAdd(this, dim, index, src);
    }

    public static Tensor cat(int dim, Tensor... tensors) {
        return Indexing.cat(dim, tensors);
    }

    public static Tensor stack(int dim, Tensor... tensors) {
        Tensor[] expanded = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            expanded[i] = tensors[i].unsqueeze(dim);
        }
        return Indexing.cat(dim, expanded);
    }

    // ------------------------------------------------------------------------------------------ in place

    /**
     * Copies {@code src} (broadcast to this shape, converted to this type) into this tensor; from another device
     * (a host checkpoint into GPU parameters) through the host.
     */
    public Tensor copy_(Tensor src) {
        checkInPlace("copy_");
        if (!src.device().equals(device())) {
            try (var g = GradMode.noGrad()) {
                src = src.to(backend);
            }
        }
        backend.copy(src.expand(shape), this);
        return this;
    }

    public Tensor fill_(double value) {
        checkInPlace("fill_");
        backend.fill(this, value);
        return this;
    }

    public Tensor zero_() {
        return fill_(0);
    }

    /** this += alpha * other. */
    public Tensor add_(Tensor other, double alpha) {
        checkInPlace("add_");
        Tensor scaled = alpha == 1 ? other : other.mul(alpha);
        backend.binary(BinaryOp.ADD, this, scaled.expand(shape), this);
        return this;
    }

    /** this *= value. */
    public Tensor mul_(double value) {
        checkInPlace("mul_");
        backend.unary(UnaryOp.SCALE, value, this, this);
        return this;
    }

    /** this *= other (broadcast). */
    public Tensor mul_(Tensor other) {
        checkInPlace("mul_");
        backend.binary(BinaryOp.MUL, this, other.expand(shape), this);
        return this;
    }

    // ------------------------------------------------------------------------------------------ text

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(shape=").append(Shapes.str(shape)).append(", dtype=")
                .append(dtype).append(", device=").append(device());
        if (storage.isReleased()) {
            return sb.append(", released)").toString();
        }
        if (requiresGrad) {
            sb.append(gradFn == null ? ", requiresGrad" : ", gradFn=" + gradFn);
        }
        try (var g = GradMode.noGrad()) {
            double[] v = reshape(-1).narrow(0, 0, (int) Math.min(8, numel())).toDoubleArray();
            sb.append(", values=").append(Arrays.toString(v)).append(numel() > 8 ? "..." : "");
        }
        return sb.append(')').toString();
    }

    // ------------------------------------------------------------------------------------------ helpers

    static void checkSameDevice(String op, Tensor a, Tensor b) {
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(op + ": tensors on different devices (" + a.device() + " and "
                    + b.device() + "); move one with to(backend)");
        }
    }

    static void checkSameType(String op, Tensor a, Tensor b) {
        if (a.dtype != b.dtype) {
            throw new IllegalArgumentException(op + ": element types differ (" + a.dtype + " " + Shapes.str(a.shape)
                    + " and " + b.dtype + " " + Shapes.str(b.shape) + "); convert one with to(DType)");
        }
    }

    static void checkFloating(String op, Tensor t) {
        if (!t.dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + " needs a floating-point tensor, got " + t.dtype + " "
                    + Shapes.str(t.shape));
        }
    }

    int[] shapeRef() {
        return shape;
    }

}
