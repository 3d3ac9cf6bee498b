package dev.t4j.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by the tensor operations: sizes, strides, broadcasting, axis normalisation. */
final class Shapes {
    private Shapes() {}

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = (int) s;
            s *= Math.max(1, shape[i]);
        }
        return strides;
    }

    /**
     * Strides that let memory laid out as {@code (shape, strides)} be read as {@code newShape} without a copy, or null
     * when there are none: each run of old dims that is contiguous within itself may be split or merged freely (the
     * rule of PyTorch's view). A [B, T, 3C] tensor narrowed to C columns then splits into [B, T, h, d] in place.
     */
    static int[] viewStrides(int[] shape, int[] strides, int[] newShape) {
        if (numel(shape) == 0) {
            return contiguousStrides(newShape);
        }
        int[] out = new int[newShape.length];
        int viewD = newShape.length - 1;
        if (shape.length == 0) { // a scalar: only sizes of 1
            return viewD < 0 || numel(newShape) == 1 ? contiguousStrides(newShape) : null;
        }
        long chunkBase = strides[shape.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            // the end of a run: the first dim, or a dim before that does not continue it
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    long stride = viewNumel * chunkBase;
                    if (stride > Integer.MAX_VALUE) {
                        return null;
                    }
                    out[viewD] = (int) stride;
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? out : null;
    }

    static void checkShape(int[] shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("negative size " + shape[i] + " at dim " + i + " in shape "
                        + Arrays.toString(shape));
            }
            n *= shape[i];
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 "
                        + "elements; split the tensor");
            }
        }
    }

    /** numpy broadcasting of two shapes, with an error naming both. */
    static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast together (dim " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    static int axis(int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IndexOutOfBoundsException("dim " + dim + " out of range for a tensor of rank " + rank);
        }
        return d;
    }

    static int[] withSize(int[] shape, int axis, int size) {
        int[] s = shape.clone();
        s[axis] = size;
        return s;
    }

    static int[] concat(int[] a, int... b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
