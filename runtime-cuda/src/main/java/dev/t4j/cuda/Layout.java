package dev.t4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The iteration space of one kernel launch and its operands' strides and offsets, packed as the {@code Layout} struct
 * of {@code common.cuh} (336 bytes: rank, pad, numel, shape[8], stride[4][8], offset[4]).
 *
 * <p>{@link #coalesced} first drops dimensions of size 1 and merges neighbours that every operand walks as one (a
 * contiguous [B, T, C] tensor becomes one dimension), so the per-element index arithmetic on the device is as
 * short as the views allow.
 */
final class Layout {
    static final int MAX_DIMS = 8;
    static final int MAX_OPERANDS = 4;
    static final int BYTES = 336;

    final int[] shape;
    final long[][] strides; // [operand][dim]
    final long[] offsets;

    private Layout(int[] shape, long[][] strides, long[] offsets) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
    }

    /** Operand i walks {@code shape} with {@code strides[i]} from {@code offsets[i]}; dims kept as they are. */
    static Layout of(int[] shape, int[][] strides, long[] offsets) {
        long[][] s = new long[strides.length][];
        for (int i = 0; i < strides.length; i++) {
            s[i] = Arrays.stream(strides[i]).asLongStream().toArray();
        }
        return checked(new Layout(shape.clone(), s, offsets.clone()));
    }

    /** As {@link #of}, with size-1 dimensions dropped and mergeable neighbours merged. */
    static Layout coalesced(int[] shape, int[][] strides, long[] offsets) {
        int ops = strides.length;
        int[] outShape = new int[shape.length];
        long[][] outStrides = new long[ops][shape.length];
        int rank = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = rank > 0;
            for (int i = 0; i < ops && merge; i++) {
                merge = outStrides[i][rank - 1] == (long) strides[i][d] * shape[d];
            }
            if (merge) {
                outShape[rank - 1] *= shape[d];
                for (int i = 0; i < ops; i++) {
                    outStrides[i][rank - 1] = strides[i][d];
                }
            } else {
                outShape[rank] = shape[d];
                for (int i = 0; i < ops; i++) {
                    outStrides[i][rank] = strides[i][d];
                }
                rank++;
            }
        }
        long[][] s = new long[ops][];
        for (int i = 0; i < ops; i++) {
            s[i] = Arrays.copyOf(outStrides[i], rank);
        }
        return checked(new Layout(Arrays.copyOf(outShape, rank), s, offsets.clone()));
    }

    private static Layout checked(Layout l) {
        if (l.shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("the cuda backend's kernels take at most " + MAX_DIMS
                    + " dimensions after merging contiguous ones; got shape " + Arrays.toString(l.shape)
                    + " (make the tensor contiguous or reshape it first)");
        }
        if (l.strides.length > MAX_OPERANDS) {
            throw new IllegalArgumentException("at most " + MAX_OPERANDS + " operands per kernel");
        }
        return l;
    }

    long numel() {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    /** Storage index of element {@code i} for operand {@code op}: what the device's offsets() computes. */
    long offsetOf(int op, long i) {
        long o = offsets[op];
        for (int d = shape.length - 1; d >= 0; d--) {
            o += (i % shape[d]) * strides[op][d];
            i /= shape[d];
        }
        return o;
    }

    MemorySegment pack(Arena arena) {
        MemorySegment s = arena.allocate(BYTES, 8);
        s.set(ValueLayout.JAVA_INT, 0, shape.length);
        s.set(ValueLayout.JAVA_LONG, 8, numel());
        for (int d = 0; d < shape.length; d++) {
            s.set(ValueLayout.JAVA_INT, 16 + 4L * d, shape[d]);
        }
        for (int i = 0; i < strides.length; i++) {
            for (int d = 0; d < shape.length; d++) {
                s.set(ValueLayout.JAVA_LONG, 48 + 8L * (i * MAX_DIMS + d), strides[i][d]);
            }
            s.set(ValueLayout.JAVA_LONG, 304 + 8L * i, offsets[i]);
        }
        return s;
    }
}
