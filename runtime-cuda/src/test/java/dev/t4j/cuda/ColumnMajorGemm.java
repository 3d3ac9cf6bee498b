package dev.t4j.cuda;

import java.util.function.LongToDoubleFunction;

/**
 * cuBLAS's strided-batched GEMM as its documentation defines it, run in Java over element accessors: C_b = op(X_b)
 * op(Y_b), column-major, element (i, j) of a matrix at i + j * ld. The model {@link GemmPlan} is checked against, and
 * the product the emulated GPU computes.
 */
final class ColumnMajorGemm {
    /** Where a result element goes. */
    interface Sink {
        void set(long index, double value);
    }

    private ColumnMajorGemm() {}

    /** x and y read elements by index from their first matrix; c receives the products. */
    static void run(GemmPlan p, LongToDoubleFunction x, LongToDoubleFunction y, Sink c) {
        for (int b = 0; b < p.batch(); b++) {
            for (int i = 0; i < p.m(); i++) {
                for (int j = 0; j < p.n(); j++) {
                    double acc = 0;
                    for (int q = 0; q < p.k(); q++) {
                        long xi = b * p.strideX() + (p.opX() == Cublas.OP_N ? i + (long) q * p.ldx()
                                : q + (long) i * p.ldx());
                        long yi = b * p.strideY() + (p.opY() == Cublas.OP_N ? q + (long) j * p.ldy()
                                : j + (long) q * p.ldy());
                        acc += x.applyAsDouble(xi) * y.applyAsDouble(yi);
                    }
                    c.set(b * p.strideC() + i + (long) j * p.ldc(), acc);
                }
            }
        }
    }
}
