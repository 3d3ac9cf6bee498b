package dev.t4j.cpu;

import static dev.t4j.cpu.VectorMath.load;
import static dev.t4j.cpu.VectorMath.store;

import dev.t4j.backend.UnaryOp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * softmax(q k^T * scale + bias) v a tile of query rows at a time: for each head and each block of up to
 * {@link #ROWS} queries, the block's scores against all keys are one packed GEMM into a per-thread tile, turned into
 * probabilities in place, and multiplied by V straight into the output. Memory is one [ROWS, Tk] tile per thread,
 * not [B, H, Tq, Tk]. The backward pass recomputes each tile's probabilities from the saved log-sum-exp (as
 * FlashAttention does) and accumulates dK and dV per head; every product in it is a GEMM too. Heads are spread over
 * the threads; the products inside a head run on the calling thread.
 *
 * <p>A tile computes only the keys up to the last one its bias leaves unmasked ({@link #keyEnds}): under a causal
 * mask the tiles of the first queries skip most keys. Measured with the other changes of that session (key ends
 * found once per bias matrix, dK and dV written in place by the first tile), one thread, 12 heads of 64, causal:
 * 2,048 tokens forward 104 -> 60 ms, backward 240 -> 134 ms; 512 tokens 6.8 -> 5.7 ms and 16.0 -> 12.1 ms. (Smaller
 * query tiles to skip more, 24-64 rows, were slower: the small products' packing outweighed the skipped work.)
 */
final class FusedAttention {
    static final int ROWS = 128;
    /** Below this, a bias value masks its key: exp of it underflows to exactly 0 beside any unmasked score. */
    static final float MASKED = -1e30f;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final java.nio.ByteOrder NATIVE = java.nio.ByteOrder.nativeOrder();
    private static final Parallel SERIAL = new Parallel(1);

    private FusedAttention() {}

    /** A [B, H, T, D] (or bias [B, H, Tq, Tk]) view: memory, offset and strides, in elements. */
    record View(MemorySegment seg, long offset, int[] strides) {
        long at(int b, int h, int row) {
            return offset + (long) b * strides[0] + (long) h * strides[1] + (long) row * strides[2];
        }

        /** Rows from {@code row} as a GEMM operand [rows, D] (unit column stride). */
        Gemm.Operand rows(int b, int h, int row) {
            return new Gemm.Operand(seg, at(b, h, row), strides[2], 1);
        }

        /** The transpose [D, T] of the rows from 0, as a GEMM operand. */
        Gemm.Operand transposed(int b, int h) {
            return new Gemm.Operand(seg, at(b, h, 0), 1, strides[2]);
        }
    }

    /**
     * Row r of the tile (scores of query i0 + r) becomes exp(scale * s + bias - shift): the probabilities, given the
     * rows' log-sum-exp as {@code shift}. With {@code shift} null the row's own maximum is subtracted, its log-sum-exp
     * stored into {@code lse} and the reciprocal of its sum into {@code invSum}: the forward pass scales the row of
     * the output by it, d values, rather than the tk of the tile (a pass over the tile saved: 8x fewer at head size
     * 64 and 512 keys). The tile's rows are tk long.
     */
    private static void probabilities(MemorySegment tile, int rows, int tk, float scale, View bias, int b, int h,
            int i0, float[] shift, MemorySegment lse, long lseAt, float[] invSum) {
        for (int r = 0; r < rows; r++) {
            int o = r * tk;
            long bAt = bias == null ? 0 : bias.at(b, h, i0 + r);
            int js = bias == null ? 0 : bias.strides()[3];
            FloatVector vs = FloatVector.broadcast(S, scale);
            FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            int j = 0;
            for (; j + V <= tk; j += V) {
                FloatVector x = load(tile, o + j).mul(vs);
                if (bias != null && js == 1) {
                    x = x.add(FloatVector.fromMemorySegment(S, bias.seg(), (bAt + j) * 4, NATIVE));
                } else if (bias != null) {
                    for (int l = 0; l < V; l++) {
                        tile.setAtIndex(F, o + j + l, tile.getAtIndex(F, o + j + l) * scale
                                + bias.seg().getAtIndex(F, bAt + (long) (j + l) * js));
                    }
                    x = load(tile, o + j);
                }
                store(x, tile, o + j);
                vmax = vmax.max(x);
            }
            float max = vmax.reduceLanes(VectorOperators.MAX);
            for (; j < tk; j++) {
                float x = tile.getAtIndex(F, o + j) * scale
                        + (bias == null ? 0 : bias.seg().getAtIndex(F, bAt + (long) j * js));
                tile.setAtIndex(F, o + j, x);
                max = Math.max(max, x);
            }
            float sum = ElementwiseRuns.expRun(tile, o, shift == null ? max : shift[r], 1f, tile, o, tk);
            if (shift == null) {
                invSum[r] = 1 / sum;
                lse.setAtIndex(F, lseAt + r, max + (float) Math.log(sum));
            }
        }
    }

    /**
     * For each query row of head (b, h), one past its last key not masked by {@code bias} (tk when none is masked
     * or every one is: a fully masked row attends uniformly to all keys, as the materialising path does). Keys at
     * or past it contribute exactly 0 to the row, so they need not be computed: the upper triangle of causal
     * attention, trailing padding.
     */
    static void keyEnds(View bias, int b, int h, int tq, int tk, int[] ends) {
        long js = bias == null ? 0 : bias.strides()[3];
        for (int i = 0; i < tq; i++) {
            int end = tk;
            if (bias != null) {
                MemorySegment seg = bias.seg();
                long at = bias.at(b, h, i);
                if (js == 1) { // a causal row's masked keys sixteen at a time
                    while (end >= V && FloatVector.fromMemorySegment(S, seg, (at + end - V) * 4, NATIVE)
                            .compare(VectorOperators.LT, MASKED).allTrue()) {
                        end -= V;
                    }
                }
                while (end > 0 && seg.getAtIndex(F, at + (end - 1) * js) < MASKED) {
                    end--;
                }
                end = end == 0 ? tk : end;
            }
            ends[i] = end;
        }
    }

    /**
     * {@link #keyEnds} for head (b, h) into {@code ends}, unless they are already there: heads that share one bias
     * matrix (a causal mask broadcast over batch and heads, a padding mask over heads) share its key ends. Returns
     * the bias matrix's offset, to pass back as {@code had} for the next head.
     */
    static long keyEnds(View bias, int b, int h, int tq, int tk, int[] ends, long had) {
        long at = bias == null ? 0 : bias.at(b, h, 0);
        if (at != had) {
            keyEnds(bias, b, h, tq, tk, ends);
        }
        return at;
    }

    /** The keys tile [i0, i0 + rows) needs: the largest of its rows' ends. */
    static int tileKeys(int[] ends, int i0, int rows) {
        int end = 0;
        for (int r = i0; r < i0 + rows; r++) {
            end = Math.max(end, ends[r]);
        }
        return end;
    }

    static void forward(int batch, int heads, int tq, int tk, int d, View q, View k, View v, View bias, float scale,
            MemorySegment out, long outOff, MemorySegment lse, long lseOff, Parallel par) {
        par.forRange(batch * heads, 1, (s0, s1) -> forwardHeads(s0, s1, heads, tq, tk, d, q, k, v, bias, scale, out,
                outOff, lse, lseOff));
    }

    private static void forwardHeads(int s0, int s1, int heads, int tq, int tk, int d, View q, View k, View v,
            View bias, float scale, MemorySegment out, long outOff, MemorySegment lse, long lseOff) {
        // off-heap scratch: a heap array as a GEMM operand would make the GEMM's code see two kinds of segment and
        // slow it for every caller (measured: weight-gradient products 8-10 % slower after fused attention ran)
        try (Arena scratch = Arena.ofConfined()) {
            int[] ends = new int[tq];
            float[] invSum = new float[Math.min(ROWS, tq)];
            MemorySegment tile = scratch.allocate((long) Math.min(ROWS, tq) * tk * 4, 64);
            long endsOf = -1;
            for (int bh = s0; bh < s1; bh++) {
                int b = bh / heads;
                int h = bh % heads;
                endsOf = keyEnds(bias, b, h, tq, tk, ends, endsOf);
                for (int i0 = 0; i0 < tq; i0 += ROWS) {
                    int rows = Math.min(ROWS, tq - i0);
                    int keys = tileKeys(ends, i0, rows);
                    Gemm.sgemm(rows, keys, d, q.rows(b, h, i0), k.transposed(b, h), tile, 0, keys, SERIAL);
                    long row = (long) bh * tq + i0;
                    probabilities(tile, rows, keys, scale, bias, b, h, i0, null, lse, lseOff + row, invSum);
                    Gemm.sgemm(rows, d, keys, new Gemm.Operand(tile, 0, keys, 1), v.rows(b, h, 0), out,
                            outOff + row * d, d, SERIAL);
                    for (int r = 0; r < rows; r++) {
                        ElementwiseRuns.unary(UnaryOp.SCALE, invSum[r], out, outOff + (row + r) * d,
                                out, outOff + (row + r) * d, d);
                    }
                }
            }
        }
    }

    static void backward(int batch, int heads, int tq, int tk, int d, View q, View k, View v, View bias, float scale,
            MemorySegment out, long outOff, MemorySegment lse, long lseOff, MemorySegment gradOut, long gOff,
            MemorySegment gq, long gqOff, MemorySegment gk, long gkOff, MemorySegment gv, long gvOff, Parallel par) {
        par.forRange(batch * heads, 1, (s0, s1) -> backwardHeads(s0, s1, heads, tq, tk, d, q, k, v, bias, scale, out,
                outOff, lse, lseOff, gradOut, gOff, gq, gqOff, gk, gkOff, gv, gvOff));
    }

    private static void backwardHeads(int s0, int s1, int heads, int tq, int tk, int d, View q, View k, View v,
            View bias, float scale, MemorySegment out, long outOff, MemorySegment lse, long lseOff,
            MemorySegment gradOut, long gOff, MemorySegment gq, long gqOff, MemorySegment gk, long gkOff,
            MemorySegment gv, long gvOff) {
        try (Arena scratch = Arena.ofConfined()) { // off-heap, as in forwardHeads
            int maxRows = Math.min(ROWS, tq);
            MemorySegment p = scratch.allocate((long) maxRows * tk * 4, 64);
            MemorySegment ds = scratch.allocate((long) maxRows * tk * 4, 64);
            float[] shift = new float[maxRows];
            int[] ends = new int[tq];
            long endsOf = -1;
            for (int bh = s0; bh < s1; bh++) {
                int b = bh / heads;
                int h = bh % heads;
                long head = (long) bh * tk * d;
                endsOf = keyEnds(bias, b, h, tq, tk, ends, endsOf);
                for (int i0 = 0; i0 < tq; i0 += ROWS) {
                    int rows = Math.min(ROWS, tq - i0);
                    int keys = tileKeys(ends, i0, rows);
                    long row = (long) bh * tq + i0;
                    Gemm.Operand dO = new Gemm.Operand(gradOut, gOff + row * d, d, 1);
                    // P, as the forward pass had it
                    Gemm.sgemm(rows, keys, d, q.rows(b, h, i0), k.transposed(b, h), p, 0, keys, SERIAL);
                    for (int r = 0; r < rows; r++) {
                        shift[r] = lse.getAtIndex(F, lseOff + row + r);
                    }
                    probabilities(p, rows, keys, scale, bias, b, h, i0, shift, null, 0, null);
                    // dP = dO V^T, then dS = P * (dP - rowsum(dO * O)) * scale
                    Gemm.sgemm(rows, keys, d, dO, v.transposed(b, h), ds, 0, keys, SERIAL);
                    for (int r = 0; r < rows; r++) {
                        float di = dot(gradOut, (gOff + (row + r) * d), out, (outOff + (row + r) * d), d);
                        scoreGradient(p, ds, r * keys, keys, di, scale);
                    }
                    // dQ = dS K; dK += dS^T Q; dV += P^T dO (the keys past this tile's get nothing from it)
                    Gemm.sgemm(rows, d, keys, new Gemm.Operand(ds, 0, keys, 1), k.rows(b, h, 0), gq,
                            gqOff + row * d, d, SERIAL);
                    keyGradient(new Gemm.Operand(ds, 0, 1, keys), q.rows(b, h, i0), keys, d, rows, tk, i0 == 0,
                            gk, gkOff + head);
                    keyGradient(new Gemm.Operand(p, 0, 1, keys), dO, keys, d, rows, tk, i0 == 0, gv, gvOff + head);
                }
            }
        }
    }

    /**
     * ds[o, o + n) = p * (ds - di) * scale: the scores' gradient from dP (in ds) and rowsum(dO * O) = di. Kept out of
     * the loop that calls it: C2 stops intrinsifying vector code in methods that grow large.
     */
    private static void scoreGradient(MemorySegment p, MemorySegment ds, int o, int n, float di, float scale) {
        FloatVector vd = FloatVector.broadcast(S, di);
        int j = 0;
        for (; j + V <= n; j += V) {
            store(load(p, o + j).mul(load(ds, o + j).sub(vd)).mul(scale), ds, o + j);
        }
        for (; j < n; j++) {
            ds.setAtIndex(F, o + j, p.getAtIndex(F, o + j) * (ds.getAtIndex(F, o + j) - di) * scale);
        }
    }

    private static float dot(MemorySegment a, long ao, MemorySegment b, long bo, int d) {
        FloatVector acc = FloatVector.zero(S);
        int c = 0;
        for (; c + V <= d; c += V) {
            acc = FloatVector.fromMemorySegment(S, a, (ao + c) * 4, NATIVE)
                    .fma(FloatVector.fromMemorySegment(S, b, (bo + c) * 4, NATIVE), acc);
        }
        float sum = VectorMath.sum(acc);
        for (; c < d; c++) {
            sum += a.getAtIndex(F, ao + c) * b.getAtIndex(F, bo + c);
        }
        return sum;
    }

    /**
     * A head's dK or dV [tk, d] at {@code at} in {@code g}, from one query tile: {@code a b} ([keys, rows] x [rows, d]).
     * The first tile writes it (and zeros the keys past its own), the others add to it.
     */
    private static void keyGradient(Gemm.Operand a, Gemm.Operand b, int keys, int d, int rows, int tk, boolean first,
            MemorySegment g, long at) {
        if (first) {
            Gemm.sgemm(keys, d, rows, a, b, g, at, d, SERIAL);
            g.asSlice((at + (long) keys * d) * 4, (long) (tk - keys) * d * 4).fill((byte) 0);
        } else {
            Gemm.sgemmAccumulate(keys, d, rows, a, b, g, at, d, SERIAL);
        }
    }
}
