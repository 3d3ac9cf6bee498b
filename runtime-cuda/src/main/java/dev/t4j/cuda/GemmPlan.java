package dev.t4j.cuda;

/**
 * How one row-major batched product out[b] = a[b] @ b[b] becomes one column-major cuBLAS strided-batched call,
 * without copying transposed views: out^T = b^T a^T, so cuBLAS computes an N x M matrix from X = b^T (N x K) and
 * Y = a^T (K x M). A row-major matrix with unit column stride is its own transpose in column-major order (op N);
 * one with unit row stride (a transposed view) is op T. Operands that fit neither, or whose batch dimensions do not
 * collapse into one stride, are made contiguous first ({@link #plan} returns null for them).
 */
record GemmPlan(int opX, int opY, int m, int n, int k, int ldx, long strideX, int ldy, long strideY, int ldc,
        long strideC, int batch) {

    /** One operand as cuBLAS sees it. */
    record Operand(int op, int ld, long batchStride) {}

    /** The plan for a [.., M, K] @ b [.., K, N] into contiguous out; null where {@link #left} or {@link #right} is. */
    static GemmPlan plan(int[] aShape, int[] aStrides, int[] bShape, int[] bStrides) {
        Operand y = left(aShape, aStrides);
        Operand x = right(bShape, bStrides);
        if (x == null || y == null) {
            return null;
        }
        int r = aShape.length;
        int m = aShape[r - 2];
        int k = aShape[r - 1];
        int n = bShape[r - 1];
        long batch = 1;
        for (int d = 0; d < r - 2; d++) {
            batch *= aShape[d];
        }
        return new GemmPlan(x.op(), y.op(), n, m, k, x.ld(), x.batchStride(), y.ld(), y.batchStride(), n, (long) m * n,
                Math.toIntExact(batch));
    }

    /** a [.., M, K] as Y = a^T (K x M, column-major), or null if it needs a contiguous copy. */
    static Operand left(int[] shape, int[] strides) {
        int r = shape.length;
        int m = shape[r - 2];
        int k = shape[r - 1];
        long sm = strides[r - 2];
        long sk = strides[r - 1];
        Long batch = batchStride(shape, strides);
        if (batch == null) {
            return null;
        }
        if ((sk == 1 || k == 1) && (m == 1 || sm >= Math.max(1, k))) {
            return new Operand(Cublas.OP_N, m == 1 ? Math.max(1, k) : Math.toIntExact(sm), batch);
        }
        if ((sm == 1 || m == 1) && (k == 1 || sk >= Math.max(1, m))) {
            return new Operand(Cublas.OP_T, k == 1 ? Math.max(1, m) : Math.toIntExact(sk), batch);
        }
        return null;
    }

    /** b [.., K, N] as X = b^T (N x K, column-major), or null if it needs a contiguous copy. */
    static Operand right(int[] shape, int[] strides) {
        int r = shape.length;
        int k = shape[r - 2];
        int n = shape[r - 1];
        long sk = strides[r - 2];
        long sn = strides[r - 1];
        Long batch = batchStride(shape, strides);
        if (batch == null) {
            return null;
        }
        if ((sn == 1 || n == 1) && (k == 1 || sk >= Math.max(1, n))) {
            return new Operand(Cublas.OP_N, k == 1 ? Math.max(1, n) : Math.toIntExact(sk), batch);
        }
        if ((sk == 1 || k == 1) && (n == 1 || sn >= Math.max(1, k))) {
            return new Operand(Cublas.OP_T, n == 1 ? Math.max(1, k) : Math.toIntExact(sn), batch);
        }
        return null;
    }

    /**
     * The one stride between consecutive matrices over all batch dimensions (0 when broadcast or when there is one
     * matrix), or null when the batch dimensions do not collapse into one (e.g. one broadcast, the other not).
     */
    static Long batchStride(int[] shape, int[] strides) {
        long stride = 0;
        int previous = -1;
        for (int d = 0; d < shape.length - 2; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (previous >= 0 && strides[previous] != (long) strides[d] * shape[d]) {
                return null;
            }
            previous = d;
            stride = strides[d];
        }
        return stride;
    }
}
