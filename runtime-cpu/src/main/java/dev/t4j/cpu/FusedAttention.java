package dev.t4j.cpu;

import static dev.t4j.cpu.VectorMath.load;
import static dev.t4j.cpu.VectorMath.store;

import dev.t4j.backend.DropoutMask;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * softmax(q k^T * scale + bias) v without the [B, H, Tq, Tk] scores in memory, for heads of up to 512 values. Per head,
 * K and V are packed once into the GEMM micro-kernel's panel layout and the queries go fourteen at a time ({@link
 * Gemm#MR}) straight through {@link Gemm#kernelRows}, keys in blocks of 512 ({@link Gemm#KC}, one k block of the
 * kernel) with an online softmax ({@link #forwardHeads}); the backward pass recomputes the probabilities the same way
 * and sums dK and dV with one kernel pass per block over all queries ({@link #backwardHeads}). Memory per thread: the
 * packed head, a few [14, 512] tiles, and in the backward pass the transposed probabilities and score gradients of one
 * key block for all queries (4 KB a query). Heads are spread over the threads. Dropout on the probabilities draws its
 * mask inside the loops from a seed ({@link DropoutRows}), forward and again backward; a bias that needs a gradient
 * (T5's position bias) gets the scores' gradient written row by row as the backward pass computes it.
 *
 * <p>A tile computes only the keys up to the last one its bias leaves unmasked ({@link #keyEnds}): under a causal mask
 * the first queries skip most keys. This replaced a path of 128-query tiles whose products were whole GEMMs (each
 * packing its operands again); against it, one thread, causal, 12 heads of 64: 2,048 tokens forward 61.4-63.4 ->
 * 49.7-50.0 ms, backward 130.2-132.7 -> 122.2-124.2 ms; 16 x 4 heads at 128 tokens 2.96-2.99 / 6.28-6.46 -> 1.87-1.92
 * / 4.13 ms.
 */
final class FusedAttention {
    /** Below this, a bias value masks its key: exp of it underflows to exactly 0 beside any unmasked score. */
    static final float MASKED = -1e30f;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final java.nio.ByteOrder NATIVE = java.nio.ByteOrder.nativeOrder();

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

    /** p[o, o + n) = p * scale + bias row (from {@code bAt}, null: none); returns the row's maximum. */
    private static float scoresRow(float[] p, int o, int n, float scale, View bias, long bAt) {
        FloatVector vs = FloatVector.broadcast(S, scale);
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        long js = bias == null ? 0 : bias.strides()[3];
        int j = 0;
        if (bias == null || js == 1) { // whole vectors; a masked load from a segment is not intrinsified
            for (; j + V <= n; j += V) {
                FloatVector x = FloatVector.fromArray(S, p, o + j).mul(vs);
                if (bias != null) {
                    x = x.add(load(bias.seg(), bAt + j));
                }
                x.intoArray(p, o + j);
                vmax = vmax.max(x);
            }
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            float x = p[o + j] * scale + (bias == null ? 0 : bias.seg().getAtIndex(F, bAt + j * js));
            p[o + j] = x;
            max = Math.max(max, x);
        }
        for (; j % V != 0; j++) { // up to a whole vector: exp makes these 0, and expRow needs no tail
            p[o + j] = Float.NEGATIVE_INFINITY;
        }
        return max;
    }

    /**
     * p[o, o + n) = exp(p - shift), n rounded up to whole vectors (the lanes past the row's end hold -infinity: see
     * scoresRow); their sums lane by lane into sums[at, at + V). Whole vectors only, and the lanes summed by the
     * caller: with a masked tail, or a call to sum the lanes, C2 stopped inlining exp or the lane sum into the loop
     * (its node budget), and the boxed vectors of those out-of-line calls cost 10-15 % of 128-token attention.
     */
    private static void expRow(float[] p, int o, int n, float shift, float[] sums, int at) {
        FloatVector vs = FloatVector.broadcast(S, shift);
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < n; j += V) {
            FloatVector e = VectorMath.expNormal(FloatVector.fromArray(S, p, o + j).sub(vs));
            e.intoArray(p, o + j);
            acc = acc.add(e);
        }
        acc.intoArray(sums, at);
    }

    /** The V lane sums of a row from {@code at}, added in a fixed order. */
    private static float laneSum(float[] sums, int at) {
        float sum = 0;
        for (int l = 0; l < V; l++) {
            sum += sums[at + l];
        }
        return sum;
    }

    /** out[at, at + d) = o[from, from + d) * factor. */
    private static void scaleInto(float[] o, int from, float factor, MemorySegment out, long at, int d) {
        int j = 0;
        for (; j + V <= d; j += V) {
            store(FloatVector.fromArray(S, o, from + j).mul(factor), out, at + j);
        }
        for (; j < d; j++) {
            out.setAtIndex(F, at + j, o[from + j] * factor);
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

    /**
     * Queries in the first tile: what is left over from whole tiles of {@link Gemm#MR} (14), so that the one short
     * tile comes first. The kernel computes all MR rows of a tile over the keys its last row sees; under a causal
     * mask the first rows see the fewest, so a short tile costs least there: at 128 tokens, 2 rows with 2 keys instead
     * of 2 rows with all 128 keys computed as 14: a seventh of the causal tiles' keys (758 -> 650 key columns a head).
     */
    static int firstTileRows(int tq) {
        int rest = tq % Gemm.MR;
        return rest == 0 ? Gemm.MR : rest;
    }

    /** The keys tile [i0, i0 + rows) needs: the largest of its rows' ends. */
    static int tileKeys(int[] ends, int i0, int rows) {
        int end = 0;
        for (int r = i0; r < i0 + rows; r++) {
            end = Math.max(end, ends[r]);
        }
        return end;
    }

    /** Room for a head's keys as B panels, one array per block of {@link Gemm#KC} keys. */
    private static float[][] keyBlocks(int tk, int dPad) {
        float[][] blocks = new float[(tk + Gemm.KC - 1) / Gemm.KC][];
        for (int kb = 0; kb < blocks.length; kb++) {
            blocks[kb] = new float[dPad * Math.min(Gemm.KC, tk - kb * Gemm.KC)]; // [d sliver][key][NR]
        }
        return blocks;
    }

    /** The rows of head (b, h) of x (K or V) into {@code blocks}, a block of {@link Gemm#KC} keys each. */
    private static void packKeyBlocks(View x, int b, int h, int tk, int d, float[][] blocks) {
        for (int kb = 0; kb < blocks.length; kb++) {
            Gemm.packB(x.rows(b, h, 0), kb * Gemm.KC, Math.min(Gemm.KC, tk - kb * Gemm.KC), 0, d, blocks[kb]);
        }
    }

    /** For heads of at most {@link Gemm#KC} (512) values: a tile's queries are one row of the kernel's packed A. */
    static void forward(int batch, int heads, int tq, int tk, int d, View q, View k, View v, View bias, float scale,
            DropoutMask dropout, View out, MemorySegment lse, long lseOff, MemorySegment saved, long savedOff,
            Parallel par) {
        par.forRange(batch * heads, 1, (s0, s1) -> forwardHeads(s0, s1, heads, tq, tk, d, q, k, v, bias, scale,
                dropout, out, lse, lseOff, saved, savedOff));
    }

    /**
     * The most keys for which the forward pass keeps each query's exponentials and their sum for the backward pass
     * (when handed memory for them: [B, H, Tq, Tk + 1] floats), which then skips recomputing Q K^T and the softmax.
     * One block of keys, and at most 1 KB a query.
     */
    static final int SAVED_MAX_KEYS = 256;

    /**
     * The forward pass, K^T and V packed once per head into the micro-kernel's panel layout, the queries {@link
     * Gemm#MR} (14) at a time straight through {@link Gemm#kernelRows}: their scores land in a [14, KC] array whose
     * rows are already the kernel's packed A for the product with V. No packing per query tile, no GEMM set-up per
     * product, and causal tiles skip keys MR rows at a time. Keys go in blocks of {@link Gemm#KC} (512, one k block of
     * the kernel); past the first, a row's running maximum, sum and output are rescaled as a new block raises its
     * maximum (FlashAttention's online softmax). The earlier tiled path packed K and V for every 128-query tile and
     * padded 128 rows to 132. Measured, one thread: 8 heads of 64 at 512 tokens with a position bias (T5's encoder)
     * 4.43-4.57 -> 3.87-3.94 ms; causal, 16 x 4 heads of 64 (the GPT training bench's layer) at 128 tokens 2.96-2.99 ->
     * 1.87-1.92 ms, at 512 tokens 25.9 -> 18.6 ms; causal, 12 heads of 64, 1,024 tokens 16.0-16.4 -> 12.4-12.7 ms,
     * 2,048 tokens 61.4-63.4 -> 49.7-50.0 ms.
     */
    private static void forwardHeads(int s0, int s1, int heads, int tq, int tk, int d, View q, View k, View v,
            View bias, float scale, DropoutMask dropout, View out, MemorySegment lse, long lseOff,
            MemorySegment saved, long savedOff) {
        int mr = Gemm.MR;
        int nr = Gemm.NR;
        int kc = Gemm.KC;
        int dPad = (d + nr - 1) / nr * nr;
        int blocks = (tk + kc - 1) / kc;
        float[] kp = new float[(tk + nr - 1) / nr * nr * d]; // K^T: [key sliver][d][NR]
        float[][] vp = keyBlocks(tk, dPad); // V, a block of keys each: [d sliver][key][NR]
        float[] qp = new float[mr * kc]; // a tile's queries, rows KC apart: the kernel's packed A
        float[] p = new float[mr * kc]; // their scores, then probabilities: packed A again, for P V
        float[] o = new float[mr * dPad]; // the output rows, unnormalised
        float[] pv = blocks > 1 ? new float[mr * dPad] : null; // a later block's P V, before it is merged into o
        float[] max = new float[mr];
        float[] sum = new float[mr];
        float[] rescale = new float[mr];
        float[] sums = new float[mr * V]; // a block's exps summed lane by lane
        float[] keep = dropout == null ? null : new float[kc]; // a row's dropout factors over a block
        int[] ends = new int[tq];
        long endsOf = -1;
        for (int bh = s0; bh < s1; bh++) {
            int b = bh / heads;
            int h = bh % heads;
            endsOf = keyEnds(bias, b, h, tq, tk, ends, endsOf);
            Gemm.packB(k.transposed(b, h), 0, d, 0, tk, kp);
            packKeyBlocks(v, b, h, tk, d, vp);
            for (int i0 = 0, rows = firstTileRows(tq); i0 < tq; i0 += rows, rows = mr) {
                int keys = tileKeys(ends, i0, rows);
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(q.seg(), F, q.at(b, h, i0 + r) * 4, qp, r * kc, d);
                }
                for (int k0 = 0; k0 < keys; k0 += kc) {
                    int n = Math.min(kc, keys - k0);
                    int blockKeys = Math.min(kc, tk - k0); // the packed block's length: its slivers' stride
                    softmaxBlock(qp, kp, d, k0, n, p, rows, scale, bias, b, h, i0, max, sum, rescale, sums);
                    if (saved != null) { // one block of keys: the row's exponentials and sum, before dropout
                        for (int r = 0; r < rows; r++) {
                            long at = savedOff + ((long) bh * tq + i0 + r) * (tk + 1);
                            MemorySegment.copy(p, r * kc, saved, F, at * 4, n);
                            saved.setAtIndex(F, at + tk, sum[r]);
                        }
                    }
                    if (dropout != null) { // after the sums: the softmax's statistics are those before dropout
                        for (int r = 0; r < rows; r++) {
                            DropoutRows.factors(keep, n, dropout, (long) bh * tq + i0 + r, k0);
                            multiplyRow(p, r * kc, keep, n);
                        }
                    }
                    float[] target = k0 == 0 ? o : pv;
                    for (int j = 0; j < d; j += nr) {
                        Gemm.kernel(rows, true, p, 0, vp[k0 / kc], j * blockKeys, n, target, j, dPad);
                    }
                    if (k0 > 0) {
                        for (int r = 0; r < rows; r++) {
                            merge(o, pv, r * dPad, dPad, rescale[r]);
                        }
                    }
                }
                long row = (long) bh * tq + i0;
                for (int r = 0; r < rows; r++) {
                    lse.setAtIndex(F, lseOff + row + r, max[r] + (float) Math.log(sum[r]));
                    scaleInto(o, r * dPad, 1 / sum[r], out.seg(), out.at(b, h, i0 + r), d);
                }
            }
        }
    }

    /**
     * One block of keys [k0, k0 + n) for a tile's rows (queries in qp, rows KC apart): their scores into p, times
     * scale plus the bias, then exp(s - the row's running maximum) in place; each row's running maximum and sum are
     * updated, and rescale[r] is what its earlier sum (and output) was multiplied by (0 at the first block): the online
     * softmax, shared by the forward pass and the backward pass's rows whose log-sum-exp cannot be used.
     */
    private static void softmaxBlock(float[] qp, float[] kT, int d, int k0, int n, float[] p, int rows, float scale,
            View bias, int b, int h, int i0, float[] max, float[] sum, float[] rescale, float[] sums) {
        int kc = Gemm.KC;
        for (int j = 0; j < n; j += Gemm.NR) {
            Gemm.kernel(rows, true, qp, 0, kT, (k0 + j) * d, d, p, j, kc);
        }
        for (int r = 0; r < rows; r++) {
            long bAt = bias == null ? 0 : bias.at(b, h, i0 + r) + (long) k0 * bias.strides()[3];
            float blockMax = scoresRow(p, r * kc, n, scale, bias, bAt);
            float m = k0 == 0 ? blockMax : Math.max(max[r], blockMax);
            // a row with only -infinity so far stays at 0 (shift 0), instead of exp(-inf + inf)
            float shift = m == Float.NEGATIVE_INFINITY ? 0 : m;
            expRow(p, r * kc, n, shift, sums, r * V);
            rescale[r] = k0 == 0 ? 0 : (float) Math.exp(max[r] - shift);
            sum[r] = (k0 == 0 ? 0 : sum[r] * rescale[r]) + laneSum(sums, r * V);
            max[r] = m;
        }
    }

    /** o[at, at + n) = o * rescale + pv, n a whole number of vectors: a later key block merged into a row. */
    private static void merge(float[] o, float[] pv, int at, int n, float rescale) {
        FloatVector f = FloatVector.broadcast(S, rescale);
        for (int j = 0; j < n; j += V) {
            FloatVector.fromArray(S, o, at + j).fma(f, FloatVector.fromArray(S, pv, at + j)).intoArray(o, at + j);
        }
    }

    /** For heads of at most {@link Gemm#KC} (512) values, as {@link #forward}. */
    static void backward(int batch, int heads, int tq, int tk, int d, View q, View k, View v, View bias, float scale,
            DropoutMask dropout, View out, MemorySegment lse, long lseOff, MemorySegment saved, long savedOff,
            View gradOut, View gq, View gk, View gv, MemorySegment gb, long gbOff, Parallel par) {
        par.forRange(batch * heads, 1, (s0, s1) -> backwardHeads(s0, s1, heads, tq, tk, d, q, k, v, bias, scale,
                dropout, out, lse, lseOff, saved, savedOff, gradOut, gq, gk, gv, gb, gbOff));
    }

    /**
     * The backward pass of {@link #forwardHeads}: per head, K^T, V^T and K are packed once as the micro-kernel's B
     * panels, Q and dO as B panels over the queries. Fourteen queries (MR) at a time, P is recomputed as the forward
     * pass had it, dP = dO V^T, dS = P (dP - rowsum(dO O)) scale, and dQ = dS K goes straight out; the tile's P and dS
     * are also written transposed, MR keys to a sliver, into the kernel's packed A layout, so that after the last tile
     * dK = dS^T Q and dV = P^T dO are one pass of the kernel over all queries (a product over 14-query tiles would be
     * fourteen steps deep). Causal keys start their sums at the first tile that sees them. Past 512 keys this runs once
     * per block of 512 keys (dQ summed over them), with P as exp(s - lse) from the forward pass's log-sum-exp, since a
     * block does not hold the whole row ({@link #normalisers}). Measured as above: 128 tokens 6.28-6.46 -> 4.13 ms, 512
     * tokens 55.7 -> 40.9 ms; 12 heads of 64, 1,024 tokens 34.4-35.6 -> 27.2-28.4 ms, 2,048 tokens 130.2-132.7 ->
     * 122.2-124.2 ms.
     */
    private static void backwardHeads(int s0, int s1, int heads, int tq, int tk, int d, View q, View k, View v,
            View bias, float scale, DropoutMask dropout, View out, MemorySegment lse, long lseOff, MemorySegment saved,
            long savedOff, View gradOut, View gq, View gk, View gv, MemorySegment gb, long gbOff) {
        int mr = Gemm.MR;
        int nr = Gemm.NR;
        int kc = Gemm.KC;
        int dPad = (d + nr - 1) / nr * nr;
        int blocks = (tk + kc - 1) / kc;
        int blockSlivers = (Math.min(tk, kc) + mr - 1) / mr;
        int sliver = (tq + 1) * mr; // one spare query: the transposing stores write a vector, MR of it used
        float[] kT = new float[(tk + nr - 1) / nr * nr * d]; // K^T, V^T: [key sliver][d][NR]
        float[] vT = new float[kT.length];
        float[][] kRows = keyBlocks(tk, dPad); // K, a block of keys each: [d sliver][key][NR]
        float[] qRows = new float[dPad * tq]; // Q, dO: [d sliver][query][NR]
        float[] doRows = new float[dPad * tq];
        float[] pT = new float[blockSlivers * sliver]; // a block's P^T, dS^T: [key sliver][query][MR keys]
        float[] dsT = new float[blockSlivers * sliver];
        float[] qp = new float[mr * kc]; // a tile's queries and their dO, rows KC apart (packed A)
        float[] dop = new float[mr * kc];
        // the head's Q and dO rows gathered once, and each row's rowsum(dO * O): read from [B, T, H, D] memory tile by
        // tile, rows H * D apart, they fell into few L1 sets and were fetched again for every use (measured, 16 x 4
        // heads at 128 tokens: 4.88 against 4.20 ms with contiguous dO and O)
        float[] qHead = new float[tq * d];
        float[] doHead = new float[tq * d];
        float[] delta = new float[tq];
        float[] p = new float[mr * kc + V]; // a tile's P and dS over a block, rows KC apart
        float[] ds = new float[mr * kc + V];
        float[] o = new float[mr * Math.max(dPad, nr)];
        float[] sums = new float[mr * V];
        float[] invSum = new float[mr];
        float[] max = new float[mr];
        float[] sum = new float[mr];
        float[] rescale = new float[mr];
        float[] shift = blocks > 1 ? new float[tq] : null; // past one block: each query's exp shift and 1 / sum
        float[] factor = blocks > 1 ? new float[tq] : null;
        float[] keep = dropout == null ? null : new float[kc]; // a row's dropout factors over a block
        int[] ends = new int[tq];
        int[] firstTile = new int[blockSlivers]; // per key sliver of a block, the first query that can attend to it
        long endsOf = -1;
        for (int bh = s0; bh < s1; bh++) {
            int b = bh / heads;
            int h = bh % heads;
            endsOf = keyEnds(bias, b, h, tq, tk, ends, endsOf);
            // K^T and the tiles' queries serve only to compute the scores again, which saved spares
            if (saved == null) {
                Gemm.packB(k.transposed(b, h), 0, d, 0, tk, kT);
            }
            Gemm.packB(v.transposed(b, h), 0, d, 0, tk, vT);
            packKeyBlocks(k, b, h, tk, d, kRows);
            for (int i = 0; i < tq; i++) {
                if (saved == null) {
                    MemorySegment.copy(q.seg(), F, q.at(b, h, i) * 4, qHead, i * d, d);
                }
                MemorySegment.copy(gradOut.seg(), F, gradOut.at(b, h, i) * 4, doHead, i * d, d);
                delta[i] = dot(gradOut.seg(), gradOut.at(b, h, i), out.seg(), out.at(b, h, i), d);
            }
            Gemm.packB(q.rows(b, h, 0), 0, tq, 0, d, qRows);
            Gemm.packB(gradOut.rows(b, h, 0), 0, tq, 0, d, doRows);
            for (int k0 = 0; k0 < tk; k0 += kc) {
                int blockKeys = Math.min(kc, tk - k0);
                java.util.Arrays.fill(firstTile, tq);
                for (int i0 = 0, rows = firstTileRows(tq); i0 < tq; i0 += rows, rows = mr) {
                    int keys = tileKeys(ends, i0, rows);
                    if (keys <= k0) { // no key of this block is seen by the tile (the first block always is)
                        for (int sk = 0; sk < blockSlivers; sk++) { // zeros, for sums that start at an earlier tile
                            java.util.Arrays.fill(pT, sk * sliver + i0 * mr, sk * sliver + (i0 + rows) * mr, 0f);
                            java.util.Arrays.fill(dsT, sk * sliver + i0 * mr, sk * sliver + (i0 + rows) * mr, 0f);
                        }
                        for (int r = 0; gb != null && r < rows; r++) {
                            zero(gb, gbOff + ((long) bh * tq + i0 + r) * tk + k0, blockKeys);
                        }
                        continue;
                    }
                    int n = Math.min(blockKeys, keys - k0);
                    for (int sk = 0; sk * mr < n; sk++) {
                        firstTile[sk] = Math.min(firstTile[sk], i0);
                    }
                    long row = (long) bh * tq + i0;
                    for (int r = 0; r < rows; r++) {
                        if (saved == null) {
                            System.arraycopy(qHead, (i0 + r) * d, qp, r * kc, d);
                        }
                        System.arraycopy(doHead, (i0 + r) * d, dop, r * kc, d);
                    }
                    if (blocks > 1 && k0 == 0) { // each row's shift and 1 / sum for every block of this tile
                        normalisers(qp, kT, d, keys, p, rows, scale, bias, b, h, i0, lse, lseOff + row, max, sum,
                                rescale, sums, shift, factor);
                    }
                    for (int j = 0; j < n; j += nr) {
                        if (saved == null) {
                            Gemm.kernel(rows, true, qp, 0, kT, (k0 + j) * d, d, p, j, kc);
                        }
                        Gemm.kernel(rows, true, dop, 0, vT, (k0 + j) * d, d, ds, j, kc);
                    }
                    for (int r = 0; r < rows; r++) {
                        // p holds exp(s - shift); the 1 / sum is applied in the score gradient and the transposing
                        // copy. All of the row's keys in this one block: its own maximum and sum, as the forward pass
                        // had them, and kept by it when given memory: the same floats, not computed again
                        if (saved != null) {
                            long at = savedOff + (row + r) * (tk + 1);
                            MemorySegment.copy(saved, F, at * 4, p, r * kc, n);
                            invSum[r] = 1 / saved.getAtIndex(F, at + tk);
                        } else {
                            long bAt = bias == null ? 0 : bias.at(b, h, i0 + r) + (long) k0 * bias.strides()[3];
                            float rowMax = scoresRow(p, r * kc, n, scale, bias, bAt);
                            if (blocks == 1) {
                                expRow(p, r * kc, n, rowMax, sums, r * V);
                                invSum[r] = 1 / laneSum(sums, r * V);
                            } else {
                                expRow(p, r * kc, n, shift[i0 + r], sums, r * V);
                                invSum[r] = factor[i0 + r];
                            }
                        }
                        float di = delta[i0 + r];
                        if (dropout == null) {
                            scoreGradient(p, ds, r * kc, n, di, scale * invSum[r]);
                        } else { // the forward pass's mask, drawn again from its seed
                            DropoutRows.factors(keep, n, dropout, row + r, k0);
                            droppedScoreGradient(p, ds, r * kc, n, di, scale * invSum[r], keep);
                        }
                        if (gb != null) { // the bias's gradient: the scores', before the scale
                            long at = gbOff + (row + r) * tk + k0;
                            scaleInto(ds, r * kc, 1 / scale, gb, at, n);
                            zero(gb, at + n, blockKeys - n);
                        }
                        java.util.Arrays.fill(p, r * kc + n, r * kc + blockKeys, 0f);
                        java.util.Arrays.fill(ds, r * kc + n, r * kc + blockKeys, 0f);
                    }
                    for (int j = 0; j < d; j += nr) {
                        Gemm.kernel(rows, true, ds, 0, kRows[k0 / kc], j * blockKeys, n, o, j, dPad);
                    }
                    for (int r = 0; r < rows; r++) { // dQ: the first block writes it, later ones add to it
                        long at = gq.at(b, h, i0 + r);
                        if (k0 == 0) {
                            MemorySegment.copy(o, r * dPad, gq.seg(), F, at * 4, d);
                        } else {
                            addInto(o, r * dPad, gq.seg(), at, d);
                        }
                    }
                    transposeRows(p, rows, blockKeys, i0, pT, sliver, invSum);
                    transposeRows(ds, rows, blockKeys, i0, dsT, sliver, null);
                }
                keyGradients(dsT, qRows, firstTile, tq, blockKeys, d, sliver, o, gk, b, h, k0);
                keyGradients(pT, doRows, firstTile, tq, blockKeys, d, sliver, o, gv, b, h, k0);
            }
        }
    }

    /**
     * For a tile's rows whose keys span several blocks, the shift and the factor that turn exp(s - shift) into the
     * probability: the forward pass's log-sum-exp and 1, one pass for all blocks. Unless some row's log-sum-exp is
     * past a million: there exp(s - lse) loses the row's sum (float32 steps of 0.06 at a million; a row whose every key
     * is masked with -3.4e38 has lse = max + log(keys) rounded back to max, and every probability would be 1 instead
     * of 1 / keys), so the tile's rows get their own maximum and sum from a first pass over the blocks, as the
     * forward pass had them.
     */
    private static void normalisers(float[] qp, float[] kT, int d, int keys, float[] p, int rows, float scale,
            View bias, int b, int h, int i0, MemorySegment lse, long lseAt, float[] max, float[] sum,
            float[] rescale, float[] sums, float[] shift, float[] factor) {
        boolean usable = true;
        for (int r = 0; r < rows; r++) {
            float x = lse.getAtIndex(F, lseAt + r);
            usable &= Math.abs(x) <= 1e6f;
            shift[i0 + r] = x;
            factor[i0 + r] = 1;
        }
        if (usable) {
            return;
        }
        for (int k0 = 0; k0 < keys; k0 += Gemm.KC) {
            softmaxBlock(qp, kT, d, k0, Math.min(Gemm.KC, keys - k0), p, rows, scale, bias, b, h, i0, max, sum, rescale,
                    sums);
        }
        for (int r = 0; r < rows; r++) {
            shift[i0 + r] = max[r] == Float.NEGATIVE_INFINITY ? 0 : max[r];
            factor[i0 + r] = 1 / sum[r];
        }
    }

    private static void zero(MemorySegment g, long at, int n) {
        g.asSlice(at * 4, n * 4L).fill((byte) 0);
    }

    /** g[at, at + d) += o[from, from + d). */
    private static void addInto(float[] o, int from, MemorySegment g, long at, int d) {
        int j = 0;
        for (; j + V <= d; j += V) {
            store(FloatVector.fromArray(S, o, from + j).add(load(g, at + j)), g, at + j);
        }
        for (; j < d; j++) {
            g.setAtIndex(F, at + j, g.getAtIndex(F, at + j) + o[from + j]);
        }
    }

    /**
     * Rows [0, rows) of a tile (queries from i0, rows KC apart), each times its factor (null: 1), into the transposed
     * layout [key sliver][query][MR]: the MR keys of a sliver are contiguous for each query, as the kernel's
     * column-packed A wants them. The rows
     * hold zeros past their tile's keys; the keys past tk in the last sliver are read from whatever follows the row,
     * and only reach gradient rows of keys that do not exist, which are never stored.
     */
    private static void transposeRows(float[] t, int rows, int tk, int i0, float[] dst, int sliver, float[] factors) {
        int mr = Gemm.MR;
        for (int r = 0; r < rows; r++) {
            int from = r * Gemm.KC;
            int to = (i0 + r) * mr;
            float f = factors == null ? 1 : factors[r];
            for (int key = 0; key < tk; key += mr, to += sliver) {
                if (V >= mr) { // a whole vector: its spare lanes land where the next query's keys go next
                    FloatVector.fromArray(S, t, from + key).mul(f).intoArray(dst, to);
                } else {
                    for (int i = 0; i < mr; i++) {
                        dst[to + i] = t[from + key + i] * f;
                    }
                }
            }
        }
    }

    /**
     * dK (from dS^T and Q) or dV (from P^T and dO) of head (b, h), keys from k0, into g: per sliver of MR keys, the
     * kernel over the queries from the first that can attend to them ({@code firstQuery}; none: zeros).
     */
    private static void keyGradients(float[] aT, float[] bRows, int[] firstQuery, int tq, int tk, int d, int sliver,
            float[] tile, View g, int b, int h, int k0) {
        int mr = Gemm.MR;
        int nr = Gemm.NR;
        for (int s = 0; s * mr < tk; s++) {
            int keys = Math.min(mr, tk - s * mr);
            int f = firstQuery[s];
            if (f >= tq) {
                for (int i = 0; i < keys; i++) {
                    zero(g.seg(), g.at(b, h, k0 + s * mr + i), d);
                }
                continue;
            }
            for (int j = 0; j < d; j += nr) {
                Gemm.kernel(keys, false, aT, s * sliver + f * mr, bRows, j * tq + f * nr, tq - f, tile, 0, nr);
                int cols = Math.min(nr, d - j);
                for (int i = 0; i < keys; i++) {
                    MemorySegment.copy(tile, i * nr, g.seg(), F, (g.at(b, h, k0 + s * mr + i) + j) * 4, cols);
                }
            }
        }
    }

    /** ds[o, o + n) = p * (ds - di) * scale: the scores' gradient from dP (in ds) and rowsum(dO * O) = di. */
    private static void scoreGradient(float[] p, float[] ds, int o, int n, float di, float scale) {
        FloatVector vd = FloatVector.broadcast(S, di);
        int j = 0;
        for (; j + V <= n; j += V) {
            FloatVector.fromArray(S, p, o + j).mul(FloatVector.fromArray(S, ds, o + j).sub(vd)).mul(scale)
                    .intoArray(ds, o + j);
        }
        for (; j < n; j++) {
            ds[o + j] = p[o + j] * (ds[o + j] - di) * scale;
        }
    }

    /**
     * With dropout: ds[o, o + n) = p * (keep * ds - di) * scale, the score gradient through the dropped probabilities
     * (dP is keep * d(dropped P); rowsum(dO * O) is unchanged, since O = (P * keep) V), then p *= keep for the
     * product P^T dO that gives dV. Whole vectors: both rows are zeroed past n after this.
     */
    private static void droppedScoreGradient(float[] p, float[] ds, int o, int n, float di, float scale,
            float[] keep) {
        FloatVector vd = FloatVector.broadcast(S, di);
        for (int j = 0; j < n; j += V) {
            FloatVector pj = FloatVector.fromArray(S, p, o + j);
            FloatVector kj = FloatVector.fromArray(S, keep, j);
            pj.mul(kj.mul(FloatVector.fromArray(S, ds, o + j)).sub(vd)).mul(scale).intoArray(ds, o + j);
            pj.mul(kj).intoArray(p, o + j);
        }
    }

    /** t[o, o + n) *= f[0, n), whole vectors. */
    private static void multiplyRow(float[] t, int o, float[] f, int n) {
        for (int j = 0; j < n; j += V) {
            FloatVector.fromArray(S, t, o + j).mul(FloatVector.fromArray(S, f, j)).intoArray(t, o + j);
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
}
