package dev.t4j.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * The rows of a transposed view (a matrix's {@code mT()}: its inner dim strided, its next dim contiguous) made
 * contiguous sixteen at a time, by 16 x 16 register transposes ({@link Transpose16}), for an elementwise op whose
 * other operands run contiguously. Read element by element instead, each of a row's values sits in another cache
 * line and the loop is scalar: adding the tied LM head's gradient (a transposed [8192, 256] view) to the embedding's
 * took 4.3 ms of a 400 ms training step that way.
 */
final class TransposedRows {
    private static final int R = 16;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final java.nio.ByteOrder NATIVE = java.nio.ByteOrder.nativeOrder();

    private TransposedRows() {}

    /** What is done with one row, given contiguously at {@code at} in {@code row}. */
    @FunctionalInterface
    interface RowBody {
        void run(long outerRow, MemorySegment row, long at);
    }

    /** Whether view {@code t} of {@code it} is a transposed one this class serves (AVX-512, 16 x 16 or more). */
    static boolean applies(Strided it, int t) {
        int r = it.rank();
        return Transpose16.SUPPORTED && r >= 2 && it.strides[t][r - 2] == 1 && Math.abs(it.innerStride(t)) > 1
                && it.shape[r - 2] >= R && it.inner() >= R;
    }

    /**
     * Calls {@code body} for every row of {@code it} (as {@link Strided#rows()} counts them) with view {@code t}'s
     * values of that row made contiguous; rows in parallel, sixteen at a time.
     */
    static void forEachRow(Strided it, int t, MemorySegment seg, Parallel par, RowBody body) {
        int r = it.rank();
        int rowsPerMatrix = it.shape[r - 2];
        int blocks = (rowsPerMatrix + R - 1) / R;
        long matrices = it.rows() / rowsPerMatrix;
        int n = it.inner();
        long ld = it.innerStride(t);
        par.forRange(Math.toIntExact(matrices * blocks), 1, (s, e) -> {
            // the rows off-heap: a heap segment handed to the elementwise kernels would make C2 compile them for two
            // kinds of segment, slower for every caller (as fused attention's heap tiles did to the GEMM)
            try (Arena scratch = Arena.ofConfined()) {
                MemorySegment rows = scratch.allocate((long) R * n * 4, 64);
                float[] tile = new float[R * R];
                float[] transposed = new float[R * R];
                for (int unit = s; unit < e; unit++) {
                    long row0 = unit / blocks * rowsPerMatrix + (long) (unit % blocks) * R;
                    int count = (int) Math.min(R, (unit / blocks + 1) * (long) rowsPerMatrix - row0);
                    long first = it.rowOffset(t, row0); // element (row0, 0); row0 + q is q further on
                    int j = 0;
                    if (count == R) {
                        for (; j + R <= n; j += R) {
                            for (int p = 0; p < R; p++) { // column j + p of the 16 rows: 16 contiguous values
                                FloatVector.fromMemorySegment(Transpose16.S, seg, (first + (j + p) * ld) * 4, NATIVE)
                                        .intoArray(tile, p * R);
                            }
                            Transpose16.block(tile, 0, R, transposed, 0, R);
                            for (int q = 0; q < R; q++) {
                                FloatVector.fromArray(Transpose16.S, transposed, q * R)
                                        .intoMemorySegment(rows, ((long) q * n + j) * 4, NATIVE);
                            }
                        }
                    }
                    for (int q = 0; q < count; q++) {
                        for (int c = j; c < n; c++) {
                            rows.setAtIndex(F, (long) q * n + c, seg.getAtIndex(F, first + q + c * ld));
                        }
                        body.run(row0 + q, rows, (long) q * n);
                    }
                }
            }
        });
    }
}
