package dev.t4j.cpu;

import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix multiply, C = A * B, in the BLIS structure: B is packed in panels of KC x NB that
 * stay in L2, A in slivers of MR rows that stay in L1, and a register-blocked micro-kernel computes an
 * MR x NR tile of C with MR * NR / V accumulators (14 x 2 AVX-512 vectors: 28 of the 32 registers, plus 2
 * for a row of B and one for a broadcast of A). A and B may have any strides, so transposed operands cost nothing
 * but a different packing loop.
 */
final class Gemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    /**
     * Rows of the micro-kernel's tile: 14, the most that leaves AVX-512 registers for B's row and a broadcast (28
     * accumulators + 2 + 1 of 32). Each step of the kernel loads 2 vectors of B and MR floats of A for 2 * MR FMAs.
     * Against 12, GPT training (in-JVM A/B pairs, each the mean of both orders): one thread 15 and 36 ms a step faster
     * (of ~630), two threads 12 ms (of ~340).
     */
    static final int MR = 14;
    static final int NR = 2 * V;
    /** Rows of the short kernels ({@link #kernelRowsShort}) for the last sliver of A when m is not a multiple of MR. */
    static final int SHORT_MR = 4;
    static final int KC = 512;
    static final int MC = 10 * MR;
    static final int NB = 12 * NR;
    static final int MCB = 18 * MC; // rows of A packed at once: 2,520 x KC floats, 5.2 MB, in L3

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private static final ThreadLocal<float[]> PACKED_A = ThreadLocal.withInitial(() -> new float[MC * KC + V]);
    private static final ThreadLocal<float[]> PACKED_B = ThreadLocal.withInitial(() -> new float[KC * NB + V]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR + V]);
    private static final ThreadLocal<float[]> TRANSPOSE = ThreadLocal.withInitial(() -> new float[V * KC + V]);
    private static final int[] GATHER = new int[V]; // lane q reads row q of the staging block

    static {
        for (int q = 0; q < V; q++) {
            GATHER[q] = q * KC;
        }
    }

    private Gemm() {}

    /**
     * A matrix operand: memory, offset of element (0,0) and the strides of rows and columns, in elements; float32,
     * or bfloat16 when {@code bf16} (served for B only: it is widened while packed).
     */
    record Operand(MemorySegment seg, long offset, long rowStride, long colStride, boolean bf16) {
        Operand(MemorySegment seg, long offset, long rowStride, long colStride) {
            this(seg, offset, rowStride, colStride, false);
        }
    }

    /**
     * C[m x n] = A[m x k] * B[k x n]; C has unit column stride and row stride {@code ldc}. Splits the work over
     * the pool by rows or by columns of C ({@link #splitByRows}).
     */
    static void sgemm(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, Parallel par) {
        sgemm(m, n, k, a, b, c, cOff, ldc, par, null);
    }

    /**
     * What happens to C's values as they are written, while they are still in L1: a bias row added (columns
     * offset into {@code bias}) with the first block of k, an activation applied after the last. A linear layer's
     * bias and activation then cost no pass over the output of their own. The products add the bias as they merge
     * their first tiles into C ({@link #mergeTile}), and call {@link #apply} for the activation only; C written
     * otherwise (no k, one row) gets both from apply. With {@code activated} (null: none), the activation's values go
     * there instead of over C, element {@code cIdx + shift} for C's {@code cIdx} (the same row stride): a layer under
     * gradients keeps its activation's input, and takes the activation while that input is still in cache instead of
     * in a pass that reads it back from memory.
     */
    record Epilogue(MemorySegment bias, long biasOffset, UnaryOp activation, MemorySegment activated, long shift) {
        Epilogue(MemorySegment bias, long biasOffset, UnaryOp activation) {
            this(bias, biasOffset, activation, null, 0);
        }

        void apply(MemorySegment c, long cIdx, long ldc, int rows, int cols, int col0, boolean first, boolean last) {
            for (int i = 0; i < rows; i++) {
                long row = cIdx + i * ldc;
                if (first && bias != null) {
                    ElementwiseRuns.binary(BinaryOp.ADD, c, row, 1, bias, biasOffset + col0, 1, c, row, cols);
                }
                if (last && activation != null) {
                    MemorySegment to = activated == null ? c : activated;
                    ElementwiseRuns.unary(activation, 0, c, row, to, row + shift, cols);
                }
            }
        }
    }

    /** C = A B, then {@code epilogue} (null: none) on C's values as they are written. */
    static void sgemm(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, Parallel par,
            Epilogue epilogue) {
        sgemm(m, n, k, a, b, c, cOff, ldc, par, epilogue, false);
    }

    /** C += A B: the tiles are added to C's values instead of replacing them (BLAS's beta = 1). */
    static void sgemmAccumulate(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc,
            Parallel par) {
        sgemm(m, n, k, a, b, c, cOff, ldc, par, null, true, null);
    }

    /**
     * C = A B, and B's columns summed over k into {@code sums} (n floats from element {@code sumsOff}): a linear
     * layer's bias gradient, the sums of the output gradient g that its weight gradient x^T g packs as B anyway. The
     * sums are taken from each packed panel while it is in L2, instead of in a pass over g of their own.
     */
    static void sgemmWithColumnSums(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc,
            Parallel par, MemorySegment sums, long sumsOff) {
        if (k == 0) {
            sums.asSlice(sumsOff * 4, (long) n * 4).fill((byte) 0);
        }
        sgemm(m, n, k, a, b, c, cOff, ldc, par, null, false, new ColumnSums(sums, sumsOff));
    }

    /** Where B's column sums go: element {@code offset} of {@code seg} for column 0. */
    private record ColumnSums(MemorySegment seg, long offset) {}

    private static void sgemm(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc,
            Parallel par, Epilogue epilogue, boolean accumulate) {
        sgemm(m, n, k, a, b, c, cOff, ldc, par, epilogue, accumulate, null);
    }

    private static void sgemm(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc,
            Parallel par, Epilogue epilogue, boolean accumulate, ColumnSums sums) {
        if (m == 0 || n == 0 || (k == 0 && accumulate)) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                c.asSlice((cOff + i * ldc) * 4, (long) n * 4).fill((byte) 0);
            }
            if (epilogue != null) {
                epilogue.apply(c, cOff, ldc, m, n, 0, true, true);
            }
            return;
        }
        int threads = par.threads();
        long flops = 2L * m * n * k;
        if (threads == 1 || flops < 2_000_000) {
            block(0, m, 0, n, k, a, b, c, cOff, ldc, epilogue, accumulate, sums);
        } else if (!splitByRows(m, n, threads)) {
            int slivers = (n + NR - 1) / NR;
            par.forRange(slivers, 1, (s, e) -> block(0, m, s * NR, Math.min(e * NR, n), k, a, b, c, cOff, ldc, epilogue,
                    accumulate, sums));
        } else { // the thread with the first rows sums B
            int slivers = (m + MR - 1) / MR;
            par.forRange(slivers, 1, (s, e) -> block(s * MR, Math.min(e * MR, m), 0, n, k, a, b, c, cOff, ldc, epilogue,
                    accumulate, s == 0 ? sums : null));
        }
    }

    /**
     * Whether threads share C by rows rather than by columns. Each thread packs the operand it does not split whole:
     * by columns, all of A (m x k); by rows, all of B (k x n). So the split goes along the longer side, and A is the
     * one packed again when m <= n. For the LM head's gradients, where A is the [2,048, 8,192] dlogits (or its
     * transpose) and B a 2 or 8 MB matrix, splitting by columns had each of two threads pack all 64 MB of A.
     * Measured, GPT training on two threads (in-JVM A/B, both ways round): the step 10.6 and 21.2 ms faster (of ~370).
     */
    static boolean splitByRows(int m, int n, int threads) {
        boolean rowsEnough = m >= threads * MR * 4;
        boolean columnsEnough = n >= threads * NR * 4;
        return rowsEnough && (m > n || !columnsEnough);
    }

    /**
     * The rectangle [m0, m1) x [n0, n1) of C, on the calling thread. With several NB-column panels of B, a block of up
     * to MCB rows of A is packed once per KC step and serves every panel: packed per panel instead, as BLIS's loop
     * order would with our L2-sized panels, A was copied n / NB times (8 times for a 3072-wide output, 22 for GPT's
     * LM head), and those copies outweighed B's packing by m / NB. That block lives in L3; each MR-row sliver of it
     * is brought into L1 once and reused across the NB / NR slivers of the panel. Measured, one thread, interleaved
     * builds: 2048 x 3072 x 768 192-205 -> 212-219 GFLOP/s, 2048^3 172-208 -> 198-210, the LM head's
     * 2048 x 8192 x 256 197-223 -> 212-228. With one panel (n <= NB, or a thread's share of the columns), A is
     * packed MC rows at a time, which stay in L2, and the panel is packed once per KC step.
     */
    static void block(int m0, int m1, int n0, int n1, int k, Operand a, Operand b, MemorySegment c, long cOff,
            long ldc, Epilogue epilogue, boolean accumulateC, ColumnSums sums) {
        boolean onePanel = n1 - n0 <= NB;
        if (!onePanel && k > KC && (long) roundRows(m1 - m0) * roundK(k) <= (long) MCB * KC) {
            panelsOuter(m0, m1, n0, n1, k, a, b, c, cOff, ldc, epilogue, accumulateC, sums);
            return;
        }
        float[] bp = PACKED_B.get();
        float[] tile = TILE.get();
        // the panel and the tile start on a cache line, wherever the arrays lie: the kernel's vector loads of B and
        // stores of the tile then never straddle two lines (A is read a float at a time, so its start does not matter)
        int bOff = LineAlignment.firstAlignedIndex(bp);
        int tOff = LineAlignment.firstAlignedIndex(tile);
        int rowsPerA = onePanel ? MC : MCB;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            boolean accumulate = pc > 0 || accumulateC;
            if (onePanel) {
                packB(b, pc, kc, n0, n1 - n0, bp, bOff);
                sumColumns(bp, bOff, kc, n1 - n0, sums, n0, pc == 0);
            }
            MemorySegment bias = epilogue == null || pc > 0 ? null : epilogue.bias(); // merged with the first k block
            for (int ib = m0; ib < m1; ib += rowsPerA) {
                int mb = Math.min(rowsPerA, m1 - ib);
                float[] ap = packedA(roundRows(mb) * KC);
                boolean aByRows = packA(a, ib, mb, pc, kc, ap, 0, n1 - n0);
                for (int jc = n0; jc < n1; jc += NB) {
                    int nb = Math.min(NB, n1 - jc);
                    if (!onePanel) {
                        packB(b, pc, kc, jc, nb, bp, bOff);
                        if (ib == m0) { // B is packed again for each block of A; summed once
                            sumColumns(bp, bOff, kc, nb, sums, jc, pc == 0);
                        }
                    }
                    for (int ic = ib; ic < ib + mb; ic += MC) {
                        int mc = Math.min(MC, ib + mb - ic);
                        multiplyPanel(ap, (ic - ib) * KC, aByRows, mc, bp, bOff, kc, nb, c, cOff + (long) ic * ldc + jc,
                                ldc, accumulate, tile, tOff, bias, bias == null ? 0 : epilogue.biasOffset() + jc);
                        if (epilogue != null) { // the block's rows of C are still in cache
                            epilogue.apply(c, cOff + (long) ic * ldc + jc, ldc, mc, nb, jc, false, pc + kc >= k);
                        }
                    }
                }
            }
        }
    }

    /**
     * A whole A of several KC blocks, small enough for L3 (the weight gradient X^T dY: k the batch's tokens, m a
     * layer's width), times several panels of B: A is packed once, all of k, and the loops run panel by panel, k
     * inside, so that a panel's C (at most MCB x NB) stays in cache while its k blocks accumulate into it. The
     * order of {@link #block} instead finishes every panel for one k block before the next, so each of the k / KC
     * merges into C went to memory: for the tied LM head's gradient, 256 x 8,192 x 2,048, that was 8 MB of C read
     * and written four times.
     */
    private static void panelsOuter(int m0, int m1, int n0, int n1, int k, Operand a, Operand b, MemorySegment c,
            long cOff, long ldc, Epilogue epilogue, boolean accumulateC, ColumnSums sums) {
        float[] bp = PACKED_B.get();
        float[] tile = TILE.get();
        int bOff = LineAlignment.firstAlignedIndex(bp); // as in block
        int tOff = LineAlignment.firstAlignedIndex(tile);
        int mb = m1 - m0;
        int kBlock = roundRows(mb) * KC; // one packed k block of A
        float[] ap = packedA(roundK(k) / KC * kBlock);
        boolean aByRows = false;
        for (int pc = 0; pc < k; pc += KC) {
            aByRows = packA(a, m0, mb, pc, Math.min(KC, k - pc), ap, pc / KC * kBlock, n1 - n0);
        }
        MemorySegment bias = epilogue == null ? null : epilogue.bias(); // merged with the first k block
        for (int jc = n0; jc < n1; jc += NB) {
            int nb = Math.min(NB, n1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(b, pc, kc, jc, nb, bp, bOff);
                sumColumns(bp, bOff, kc, nb, sums, jc, pc == 0);
                MemorySegment merged = pc == 0 ? bias : null;
                multiplyPanel(ap, pc / KC * kBlock, aByRows, mb, bp, bOff, kc, nb, c, cOff + (long) m0 * ldc + jc,
                        ldc, pc > 0 || accumulateC, tile, tOff, merged,
                        merged == null ? 0 : epilogue.biasOffset() + jc);
            }
            if (epilogue != null) { // the panel's C is still in cache
                epilogue.apply(c, cOff + (long) m0 * ldc + jc, ldc, mb, nb, jc, false, true);
            }
        }
    }

    /**
     * {@code rows} rows of packed A (from {@code aOff}, slivers KC * MR apart) times one packed panel of B (kc x nb,
     * from {@code bOff}) into C from element {@code cIdx}: every MR x NR tile through the micro-kernel into {@code
     * tile} (from {@code tOff}), then merged into C, with the panel's columns of {@code bias} from element {@code
     * biasIdx} added (null: none).
     */
    private static void multiplyPanel(float[] ap, int aOff, boolean aByRows, int rows, float[] bp, int bOff, int kc,
            int nb, MemorySegment c, long cIdx, long ldc, boolean accumulate, float[] tile, int tOff,
            MemorySegment bias, long biasIdx) {
        for (int ir = 0; ir < rows; ir += MR) {
            int aBase = aOff + ir * KC;
            int mr = Math.min(MR, rows - ir);
            for (int jr = 0; jr < nb; jr += NR) {
                kernel(mr, aByRows, ap, aBase, bp, bOff + jr * kc, kc, tile, tOff, NR);
                mergeTile(tile, tOff, mr, Math.min(NR, nb - jr), c, cIdx + ir * ldc + jr, ldc, accumulate, bias,
                        biasIdx + jr);
            }
        }
    }

    private static int roundRows(int rows) {
        return (rows + MR - 1) / MR * MR;
    }

    private static int roundK(int k) {
        return (k + KC - 1) / KC * KC;
    }

    /** This thread's buffer for {@code floats} floats of packed A (grown on demand). */
    private static float[] packedA(int floats) {
        int need = floats + V;
        float[] ap = PACKED_A.get();
        if (ap.length < need) {
            ap = new float[need];
            PACKED_A.set(ap);
        }
        return ap;
    }

    /**
     * Rows [ic, ic+mc) x cols [pc, pc+kc) of A into MR-row slivers, zero past the last row, for a block of {@code
     * cols} columns of C. A row-major A is copied row by row (sliver layout ap[sliver][i][p], rows KC apart: returns
     * true), or transposed when cols is at least {@link #TRANSPOSED_A_MIN_N}; any other A is copied column by column
     * (ap[sliver][p][i], contiguous when A is column-major: returns false).
     */
    private static boolean packA(Operand a, int ic, int mc, int pc, int kc, float[] ap, int apOff, int cols) {
        MemorySegment seg = a.seg();
        long rs = a.rowStride();
        long cs = a.colStride();
        if (cs == 1 && cols >= TRANSPOSED_A_MIN_N && Transpose16.SUPPORTED) {
            packRowsTransposed(a, ic, mc, pc, kc, ap, apOff);
            return false;
        }
        boolean byRows = cs == 1;
        int packed = 0; // rows packed step by step
        if (!byRows && rs == 1) {
            int whole = mc / MR;
            int group = cs >= STEP_MAJOR_STRIDE ? whole : STEP_GROUP;
            for (int s = 0; s < whole; s += group) {
                int n = Math.min(group, whole - s);
                packColumnsByStep(seg, a.offset() + ic + s * MR + (long) pc * cs, cs, n, kc, ap, apOff + s * MR * KC);
            }
            packed = whole * MR;
        }
        for (int ir = packed; ir < mc; ir += MR) {
            int base = apOff + ir * KC;
            int rows = Math.min(MR, mc - ir);
            if (byRows) {
                for (int i = 0; i < MR; i++) {
                    if (i < rows) {
                        long at = (a.offset() + (ic + ir + i) * rs + pc) * 4;
                        MemorySegment.copy(seg, F, at, ap, base + i * KC, kc);
                    } else {
                        java.util.Arrays.fill(ap, base + i * KC, base + i * KC + kc, 0f);
                    }
                }
            } else { // strided, or the last rows of a column-major A
                for (int i = 0; i < MR; i++) {
                    if (i >= rows) {
                        for (int p = 0; p < kc; p++) {
                            ap[base + p * MR + i] = 0f;
                        }
                        continue;
                    }
                    long at = a.offset() + (ic + ir + i) * rs + pc * cs;
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + i] = seg.getAtIndex(F, at + p * cs);
                    }
                }
            }
        }
        return byRows;
    }

    /**
     * Row-major A is packed into the column layout ({@link #packRowsTransposed}, for {@link #kernelCols}) when a block
     * of C is at least this many columns wide, so that each packed sliver serves at least n / NR kernel calls per k
     * block. The column kernel reads one contiguous run of A a step where the row kernel reads MR rows KC apart, and
     * runs ~4 % faster (hot in KernelCeiling, and in a one-off timing with C merged into memory and fresh slivers of
     * A), but transposing a sliver costs more than copying its rows. Measured with bench/ab.sh's ProductsStepper, one
     * thread, each pair both ways round in three JVM pairs, ms for a step's worth: c_fc (2048 x 1024 x 256, four)
     * -0.7 of ~26, the LM head's logits (2048 x 8192 x 256) -2.6 of ~53, mlp c_proj dx (2048 x 1024 x 256, four) -1.3
     * of ~27, every pair faster. Narrower, transposed A lost or varied: c_fc dx (256 columns) +1.8, c_attn dx +0.5,
     * c_attn (768) +0.4, the LM head's dx (256) -2.9 in one JVM pair and +0.6 in another.
     */
    static final int TRANSPOSED_A_MIN_N = 1024;

    /**
     * Row-major A into the column layout (ap[sliver][p][i]) that {@link #kernelCols} reads: each sliver's MR rows are
     * copied whole into a staging block (rows past the last row of A zeroed), then turned 16 x 16 in registers ({@link
     * Transpose16}). The staging block's rows past MR are left as they are: they only fill a stored column's two lanes
     * past MR, which land on the next step's first two and are overwritten by the next store, or after a sliver's last
     * step on the next sliver's first (packed after it), past its kc steps, or on the buffer's spare vector. The last
     * kc % 16 steps are copied one value at a time.
     */
    private static void packRowsTransposed(Operand a, int ic, int mc, int pc, int kc, float[] ap, int apOff) {
        MemorySegment seg = a.seg();
        long rs = a.rowStride();
        float[] block = TRANSPOSE.get();
        int s = LineAlignment.firstAlignedIndex(block); // the staging rows start on cache lines
        for (int ir = 0; ir < mc; ir += MR) {
            int base = apOff + ir * KC;
            int rows = Math.min(MR, mc - ir);
            for (int i = 0; i < MR; i++) {
                if (i < rows) {
                    MemorySegment.copy(seg, F, (a.offset() + (ic + ir + i) * rs + pc) * 4, block, s + i * KC, kc);
                } else {
                    java.util.Arrays.fill(block, s + i * KC, s + i * KC + kc, 0f);
                }
            }
            int p = 0;
            for (; p + V <= kc; p += V) {
                Transpose16.block(block, s + p, KC, ap, base + p * MR, MR);
            }
            for (; p < kc; p++) {
                for (int i = 0; i < MR; i++) {
                    ap[base + p * MR + i] = block[s + i * KC + p];
                }
            }
        }
    }

    /**
     * Column-major A (the X^T of a weight gradient, the LM head's dlogits^T) is packed step by step ({@link
     * #packColumnsByStep}): all its slivers at once when its columns are at least this far apart (floats), else
     * {@link #STEP_GROUP} slivers at a time.
     */
    static final long STEP_MAJOR_STRIDE = 4096;

    /**
     * Slivers packed step by step together when columns are closer than {@link #STEP_MAJOR_STRIDE}: each step then
     * reads 16 x 12 floats, 12 whole cache lines, of one row of X, where sliver by sliver read 12 floats of each row, 1
     * or 4 KB apart, and came back for the next 12 after L1 had lost the line (those strides map to a few L1 sets).
     * Measured, GPT training, one thread: the weight gradients' packing of A 7.5 -> 5.0 ms a step, their products
     * 67.5 -> 63.2 ms (profile); the step 5.7-6.3 ms faster against the sliver order (in-JVM A/B, interleaved steps).
     * Groups of 4 measured no better than sliver by sliver; 8, 12, 32 and all slivers at once (86 for a 1,024-wide X)
     * in between.
     */
    static final int STEP_GROUP = 16;

    /**
     * Slivers of a row-major B packed step by step together ({@link #packB}): each step reads 4 x 32 floats, 8 whole
     * cache lines, of one row of B, where sliver by sliver came back to each row, 1-4 KB on from the last, for every
     * 32 floats. Measured, GPT training, one thread, in-JVM A/B: the step 2.1-4.1 ms faster in three runs (groups of
     * 2, 6 or 12 no better than sliver by sliver).
     */
    static final int B_GROUP = 4;

    /**
     * Column-major A, {@code slivers} whole slivers of MR rows, packed step by step: each step's MR * slivers values
     * are contiguous in memory and are read in one run, where sliver by sliver read MR of them from each of kc columns
     * 32 KB apart (the LM head's dlogits^T over 8,192 words), and came back for the next MR. One whole-vector copy per
     * sliver and step (it beats a 12-float bulk copy call); its extra lanes land in the sliver's next step, which is
     * written after it, except at the last step, which copies exactly MR, as do vectors narrower than MR.
     */
    private static void packColumnsByStep(MemorySegment seg, long first, long cs, int slivers, int kc, float[] ap,
            int apOff) {
        long end = seg.byteSize() / 4;
        for (int p = 0; p < kc; p++) {
            long at = first + p * cs;
            int to = apOff + p * MR;
            boolean exact = V < MR || p == kc - 1 || at + (long) (slivers - 1) * MR + V > end;
            for (int s = 0; s < slivers; s++) {
                if (exact) {
                    MemorySegment.copy(seg, F, (at + s * MR) * 4, ap, to + s * MR * KC, MR);
                } else {
                    FloatVector.fromMemorySegment(S, seg, (at + s * MR) * 4, NATIVE).intoArray(ap, to + s * MR * KC);
                }
            }
        }
    }

    /**
     * Column sums of a packed panel (kc x nb from element bOff, from column jc of B) into {@code sums}: written with
     * the first block of k ({@code first}), added after (nothing when sums is null). Each column's terms are added in
     * order of k.
     */
    private static void sumColumns(float[] bp, int bOff, int kc, int nb, ColumnSums sums, int jc, boolean first) {
        if (sums == null) {
            return;
        }
        for (int jr = 0; jr < nb; jr += NR) {
            int base = bOff + jr * kc;
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = s0;
            for (int p = 0; p < kc; p++) {
                s0 = s0.add(FloatVector.fromArray(S, bp, base + p * NR));
                s1 = s1.add(FloatVector.fromArray(S, bp, base + p * NR + V));
            }
            long at = sums.offset() + jc + jr;
            int cols = Math.min(NR, nb - jr);
            store(s0, sums.seg(), at, Math.min(V, cols), first);
            if (cols > V) {
                store(s1, sums.seg(), at + V, cols - V, first);
            }
        }
    }

    /** The first {@code lanes} lanes of x into element {@code at} of seg, or added to what is there. */
    private static void store(FloatVector x, MemorySegment seg, long at, int lanes, boolean replace) {
        VectorMask<Float> m = S.indexInRange(0, lanes);
        if (!replace) {
            x = x.add(FloatVector.fromMemorySegment(S, seg, at * 4, NATIVE, m));
        }
        x.intoMemorySegment(seg, at * 4, NATIVE, m);
    }

    /** Rows [pc, pc+kc) x cols [jc, jc+nb) of B into NR-column slivers: bp[sliver][p][j], zero past the last col. */
    static void packB(Operand b, int pc, int kc, int jc, int nb, float[] bp) {
        packB(b, pc, kc, jc, nb, bp, 0);
    }

    /** {@link #packB} into bp from element {@code bOff}. */
    static void packB(Operand b, int pc, int kc, int jc, int nb, float[] bp, int bOff) {
        MemorySegment seg = b.seg();
        long rs = b.rowStride();
        long cs = b.colStride();
        boolean bf16 = b.bf16(); // a bfloat16 B is widened to float32 as it is packed
        // whole slivers of a row-major B: two vector moves a row (a 128-byte MemorySegment.copy call cost more than
        // its bytes), B_GROUP slivers step by step
        int whole = cs == 1 ? nb / NR : 0;
        for (int g = 0; g < whole; g += B_GROUP) {
            int n = Math.min(B_GROUP, whole - g);
            for (int p = 0; p < kc; p++) {
                long at = b.offset() + (pc + p) * rs + jc + g * NR;
                int to = bOff + g * NR * kc + p * NR;
                for (int s = 0; s < n; s++) {
                    VectorMath.load(seg, at + s * NR, bf16).intoArray(bp, to + s * NR * kc);
                    VectorMath.load(seg, at + s * NR + V, bf16).intoArray(bp, to + s * NR * kc + V);
                }
            }
        }
        // the staging block's start on a cache line, once for all the slivers transposed below
        int staging = whole * NR < nb && rs == 1 ? LineAlignment.firstAlignedIndex(TRANSPOSE.get()) : 0;
        for (int jr = whole * NR; jr < nb; jr += NR) {
            int base = bOff + jr * kc;
            int cols = Math.min(NR, nb - jr);
            if (rs == 1) {
                packTransposed(seg, b.offset() + pc + (long) (jc + jr) * cs, cs, kc, cols, bp, base, bf16, staging);
            } else {
                for (int j = 0; j < NR; j++) {
                    long at = b.offset() + pc * rs + (jc + jr + j) * cs;
                    for (int p = 0; p < kc; p++) {
                        bp[base + p * NR + j] = j >= cols ? 0f : bf16 ? Bf16.get(seg, at + p * rs)
                                : seg.getAtIndex(F, at + p * rs);
                    }
                }
            }
        }
    }

    /**
     * One NR-column sliver of a transposed B (x @ W^T: column j of B is row j of W, contiguous), V columns at a time:
     * V rows of W are copied whole into the staging block (sequential reads; its rows from {@code s}, which starts a
     * cache line), then transposed from there, 16 x 16 in registers ({@link Transpose16}) or, for the last kc % 16
     * steps and other vector widths, one vector gather per step. Every store fills a contiguous run of the packed
     * panel. Measured, one thread: the register transpose lifts 512 x 512 x 2048 with W^T from 196-202 to 207-211
     * GFLOP/s against the gathers; transposing straight from W's rows in memory, without the staging copy, cost 1-7 %
     * on the T5 and LM-head shapes.
     */
    private static void packTransposed(MemorySegment seg, long first, long cs, int kc, int cols, float[] bp, int base,
            boolean bf16, int s) {
        float[] block = TRANSPOSE.get();
        for (int j0 = 0; j0 < NR; j0 += V) {
            for (int q = 0; q < V; q++) {
                int j = j0 + q;
                if (j < cols && bf16) {
                    Bf16.copy(seg, first + j * cs, block, s + q * KC, kc);
                } else if (j < cols) {
                    MemorySegment.copy(seg, F, (first + j * cs) * 4, block, s + q * KC, kc);
                } else {
                    java.util.Arrays.fill(block, s + q * KC, s + q * KC + kc, 0f);
                }
            }
            int p = 0;
            if (Transpose16.SUPPORTED) {
                for (; p + V <= kc; p += V) {
                    Transpose16.block(block, s + p, KC, bp, base + p * NR + j0, NR);
                }
            }
            for (; p < kc; p++) {
                FloatVector.fromArray(S, block, s + p, GATHER, 0).intoArray(bp, base + p * NR + j0);
            }
        }
    }

    /**
     * The micro-kernel for a sliver of A of which only the first {@code rows} rows are wanted, A packed by rows ({@link
     * #kernelRows}) or by columns ({@link #kernelCols}): in its short form when they are at most {@link #SHORT_MR},
     * which writes only those rows of the tile. Every caller goes through here: the products' last sliver of A, and
     * attention's short query tile and last sliver of keys.
     */
    static void kernel(int rows, boolean byRows, float[] ap, int aBase, float[] bp, int bBase, int kc, float[] out,
            int o, int ldo) {
        if (rows <= SHORT_MR) {
            if (byRows) {
                kernelRowsShort(ap, aBase, bp, bBase, kc, out, o, ldo);
            } else {
                kernelColsShort(ap, aBase, bp, bBase, kc, out, o, ldo);
            }
        } else if (byRows) {
            kernelRows(ap, aBase, bp, bBase, kc, out, o, ldo);
        } else {
            kernelCols(ap, aBase, bp, bBase, kc, out, o, ldo);
        }
    }

    /**
     * The micro-kernel: an MR x NR tile (14 x 2 vectors) of A_sliver * B_sliver over kc steps, written to {@code out}
     * from {@code o}, rows {@code ldo} apart, with A packed by rows (row i of the sliver at ap[aBase + i * KC], a
     * straight copy from a row-major A). The accumulators are named locals so that C2 keeps all 28 in registers; the
     * method holds nothing else, because a larger method makes C2 give up on the vector intrinsics (measured on the
     * AMD machine: 260 GFLOP/s for this loop alone, 15 with the stores to C inlined into it; on the Intel one, bench's
     * KernelCeiling: 166-198, about 0.8 of its FMA peak). Generated, like its twin below.
     */
    static void kernelRows(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] out, int o, int ldo) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z;
        FloatVector c50 = z, c51 = z;
        FloatVector c60 = z, c61 = z;
        FloatVector c70 = z, c71 = z;
        FloatVector c80 = z, c81 = z;
        FloatVector c90 = z, c91 = z;
        FloatVector c100 = z, c101 = z;
        FloatVector c110 = z, c111 = z;
        FloatVector c120 = z, c121 = z;
        FloatVector c130 = z, c131 = z;
        for (int p = 0, ao = aBase, bo = bBase; p < kc; p++, ao += 1, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 1 * V);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1 * KC]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2 * KC]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3 * KC]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ao + 4 * KC]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ao + 5 * KC]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ao + 6 * KC]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ao + 7 * KC]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
            FloatVector a8 = FloatVector.broadcast(S, ap[ao + 8 * KC]);
            c80 = b0.fma(a8, c80);
            c81 = b1.fma(a8, c81);
            FloatVector a9 = FloatVector.broadcast(S, ap[ao + 9 * KC]);
            c90 = b0.fma(a9, c90);
            c91 = b1.fma(a9, c91);
            FloatVector a10 = FloatVector.broadcast(S, ap[ao + 10 * KC]);
            c100 = b0.fma(a10, c100);
            c101 = b1.fma(a10, c101);
            FloatVector a11 = FloatVector.broadcast(S, ap[ao + 11 * KC]);
            c110 = b0.fma(a11, c110);
            c111 = b1.fma(a11, c111);
            FloatVector a12 = FloatVector.broadcast(S, ap[ao + 12 * KC]);
            c120 = b0.fma(a12, c120);
            c121 = b1.fma(a12, c121);
            FloatVector a13 = FloatVector.broadcast(S, ap[ao + 13 * KC]);
            c130 = b0.fma(a13, c130);
            c131 = b1.fma(a13, c131);
        }
        c00.intoArray(out, o);
        c01.intoArray(out, o + V);
        c10.intoArray(out, o + 1 * ldo);
        c11.intoArray(out, o + 1 * ldo + V);
        c20.intoArray(out, o + 2 * ldo);
        c21.intoArray(out, o + 2 * ldo + V);
        c30.intoArray(out, o + 3 * ldo);
        c31.intoArray(out, o + 3 * ldo + V);
        c40.intoArray(out, o + 4 * ldo);
        c41.intoArray(out, o + 4 * ldo + V);
        c50.intoArray(out, o + 5 * ldo);
        c51.intoArray(out, o + 5 * ldo + V);
        c60.intoArray(out, o + 6 * ldo);
        c61.intoArray(out, o + 6 * ldo + V);
        c70.intoArray(out, o + 7 * ldo);
        c71.intoArray(out, o + 7 * ldo + V);
        c80.intoArray(out, o + 8 * ldo);
        c81.intoArray(out, o + 8 * ldo + V);
        c90.intoArray(out, o + 9 * ldo);
        c91.intoArray(out, o + 9 * ldo + V);
        c100.intoArray(out, o + 10 * ldo);
        c101.intoArray(out, o + 10 * ldo + V);
        c110.intoArray(out, o + 11 * ldo);
        c111.intoArray(out, o + 11 * ldo + V);
        c120.intoArray(out, o + 12 * ldo);
        c121.intoArray(out, o + 12 * ldo + V);
        c130.intoArray(out, o + 13 * ldo);
        c131.intoArray(out, o + 13 * ldo + V);
    }

    /** The same micro-kernel with A packed by columns (column p of the sliver at ap[aBase + p * MR]). */
    static void kernelCols(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] out, int o, int ldo) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z;
        FloatVector c50 = z, c51 = z;
        FloatVector c60 = z, c61 = z;
        FloatVector c70 = z, c71 = z;
        FloatVector c80 = z, c81 = z;
        FloatVector c90 = z, c91 = z;
        FloatVector c100 = z, c101 = z;
        FloatVector c110 = z, c111 = z;
        FloatVector c120 = z, c121 = z;
        FloatVector c130 = z, c131 = z;
        for (int p = 0, ao = aBase, bo = bBase; p < kc; p++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 1 * V);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ao + 6]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ao + 7]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
            FloatVector a8 = FloatVector.broadcast(S, ap[ao + 8]);
            c80 = b0.fma(a8, c80);
            c81 = b1.fma(a8, c81);
            FloatVector a9 = FloatVector.broadcast(S, ap[ao + 9]);
            c90 = b0.fma(a9, c90);
            c91 = b1.fma(a9, c91);
            FloatVector a10 = FloatVector.broadcast(S, ap[ao + 10]);
            c100 = b0.fma(a10, c100);
            c101 = b1.fma(a10, c101);
            FloatVector a11 = FloatVector.broadcast(S, ap[ao + 11]);
            c110 = b0.fma(a11, c110);
            c111 = b1.fma(a11, c111);
            FloatVector a12 = FloatVector.broadcast(S, ap[ao + 12]);
            c120 = b0.fma(a12, c120);
            c121 = b1.fma(a12, c121);
            FloatVector a13 = FloatVector.broadcast(S, ap[ao + 13]);
            c130 = b0.fma(a13, c130);
            c131 = b1.fma(a13, c131);
        }
        c00.intoArray(out, o);
        c01.intoArray(out, o + V);
        c10.intoArray(out, o + 1 * ldo);
        c11.intoArray(out, o + 1 * ldo + V);
        c20.intoArray(out, o + 2 * ldo);
        c21.intoArray(out, o + 2 * ldo + V);
        c30.intoArray(out, o + 3 * ldo);
        c31.intoArray(out, o + 3 * ldo + V);
        c40.intoArray(out, o + 4 * ldo);
        c41.intoArray(out, o + 4 * ldo + V);
        c50.intoArray(out, o + 5 * ldo);
        c51.intoArray(out, o + 5 * ldo + V);
        c60.intoArray(out, o + 6 * ldo);
        c61.intoArray(out, o + 6 * ldo + V);
        c70.intoArray(out, o + 7 * ldo);
        c71.intoArray(out, o + 7 * ldo + V);
        c80.intoArray(out, o + 8 * ldo);
        c81.intoArray(out, o + 8 * ldo + V);
        c90.intoArray(out, o + 9 * ldo);
        c91.intoArray(out, o + 9 * ldo + V);
        c100.intoArray(out, o + 10 * ldo);
        c101.intoArray(out, o + 10 * ldo + V);
        c110.intoArray(out, o + 11 * ldo);
        c111.intoArray(out, o + 11 * ldo + V);
        c120.intoArray(out, o + 12 * ldo);
        c121.intoArray(out, o + 12 * ldo + V);
        c130.intoArray(out, o + 13 * ldo);
        c131.intoArray(out, o + 13 * ldo + V);
    }

    /**
     * {@link #kernelRows} for a sliver of at most {@link #SHORT_MR} (4) rows: the first four rows of the tile only. The
     * last sliver of A is short when m is not a multiple of 14, and for the powers of two of most shapes it is 2 or 4
     * rows (2,048 tokens leave 4, as do 256 features); the full kernel computed 14 rows for them. Hot, one thread
     * (bench's KernelCeiling): 160 GFLOP/s on its 4 rows against 212-220 on 14, so such a sliver costs 0.39 of a
     * full one. Written out like the full kernels, not shared with them: C2 keeps the accumulators in registers only
     * as named locals of a small method of their own (see {@link #kernelRows}).
     */
    static void kernelRowsShort(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] out, int o, int ldo) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        for (int p = 0, ao = aBase, bo = bBase; p < kc; p++, ao += 1, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 1 * V);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1 * KC]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2 * KC]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3 * KC]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
        }
        c00.intoArray(out, o);
        c01.intoArray(out, o + V);
        c10.intoArray(out, o + 1 * ldo);
        c11.intoArray(out, o + 1 * ldo + V);
        c20.intoArray(out, o + 2 * ldo);
        c21.intoArray(out, o + 2 * ldo + V);
        c30.intoArray(out, o + 3 * ldo);
        c31.intoArray(out, o + 3 * ldo + V);
    }

    /** {@link #kernelRowsShort} with A packed by columns, as {@link #kernelCols}. */
    static void kernelColsShort(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] out, int o, int ldo) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        for (int p = 0, ao = aBase, bo = bBase; p < kc; p++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 1 * V);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
        }
        c00.intoArray(out, o);
        c01.intoArray(out, o + V);
        c10.intoArray(out, o + 1 * ldo);
        c11.intoArray(out, o + 1 * ldo + V);
        c20.intoArray(out, o + 2 * ldo);
        c21.intoArray(out, o + 2 * ldo + V);
        c30.intoArray(out, o + 3 * ldo);
        c31.intoArray(out, o + 3 * ldo + V);
    }

    /**
     * C[tile rows] (+)= tile (from tOff), for the mr x nr corner that lies inside C, plus the row of {@code bias} from
     * element {@code biasIdx} (null: none): while merging, the bias costs two vector adds a row of the tile, where the
     * epilogue's pass over the block's rows of C cost 1.3 ms a step of GPT training (one thread).
     */
    private static void mergeTile(float[] tile, int tOff, int mr, int nr, MemorySegment c, long cIdx, long ldc,
            boolean accumulate, MemorySegment bias, long biasIdx) {
        if (nr == NR) {
            FloatVector b0 = bias == null ? null : FloatVector.fromMemorySegment(S, bias, biasIdx * 4, NATIVE);
            FloatVector b1 = bias == null ? null : FloatVector.fromMemorySegment(S, bias, (biasIdx + V) * 4, NATIVE);
            for (int i = 0; i < mr; i++) {
                long at = (cIdx + i * ldc) * 4;
                FloatVector v0 = FloatVector.fromArray(S, tile, tOff + i * NR);
                FloatVector v1 = FloatVector.fromArray(S, tile, tOff + i * NR + V);
                if (bias != null) {
                    v0 = v0.add(b0);
                    v1 = v1.add(b1);
                }
                if (accumulate) {
                    v0 = v0.add(FloatVector.fromMemorySegment(S, c, at, NATIVE));
                    v1 = v1.add(FloatVector.fromMemorySegment(S, c, at + V * 4L, NATIVE));
                }
                v0.intoMemorySegment(c, at, NATIVE);
                v1.intoMemorySegment(c, at + V * 4L, NATIVE);
            }
            return;
        }
        for (int i = 0; i < mr; i++) {
            long rowBytes = (cIdx + i * ldc) * 4;
            for (int j = 0; j < nr; j++) {
                float v = tile[tOff + i * NR + j] + (bias == null ? 0f : bias.getAtIndex(F, biasIdx + j));
                long at = rowBytes + j * 4L;
                c.set(F, at, accumulate ? c.get(F, at) + v : v);
            }
        }
    }
}
