package dev.t4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 16 x 16 block of floats transposed in registers, for packing a transposed GEMM operand (x W^T with W [n, k]):
 * sixteen rows (of the GEMM's staging copy of W) are loaded as sixteen vectors, four butterfly stages each swap the
 * off-diagonal halves of 8 x 8, 4 x 4, 2 x 2 and 1 x 1 sub-blocks with two-vector permutes ({@code selectFrom(v1,
 * v2)}, one {@code vpermt2ps} each), and the sixteen columns are stored as vectors. Measured packing 384 x 512 and
 * 2048 x 512 weights, staging copy included: 0.68 / 0.78 cycles per element, against 1.17 / 1.25 when each column
 * was gathered from the staging block.
 * Written out by hand in named locals for the reason the GEMM micro-kernel is: C2 keeps them in registers.
 * Only for 16-lane vectors (AVX-512); other widths keep the staging path.
 */
final class Transpose16 {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final boolean SUPPORTED = S.length() == 16;
    // index vectors of stage b: LO takes lane l from the first row where bit b of l is clear, else from the second
    // row's lane l - b; HI the mirror image
    private static final FloatVector L8 = index(8, false), H8 = index(8, true), L4 = index(4, false),
            H4 = index(4, true), L2 = index(2, false), H2 = index(2, true), L1 = index(1, false), H1 = index(1, true);

    private Transpose16() {}

    private static FloatVector index(int b, boolean hi) {
        if (!SUPPORTED) {
            return null;
        }
        float[] idx = new float[16];
        for (int l = 0; l < 16; l++) {
            idx[l] = (l & b) == 0 ? (hi ? l + b : l) : (hi ? 16 + l : 16 + l - b);
        }
        return FloatVector.fromArray(S, idx, 0);
    }

    /** Rows q = 0..15 of src (from {@code srcOff + q * srcStride}) become columns: dst[dstOff + p * dstStride + q]. */
    static void block(float[] src, int srcOff, int srcStride, float[] dst, int dstOff, int dstStride) {
        FloatVector r0 = FloatVector.fromArray(S, src, srcOff + 0 * srcStride);
        FloatVector r1 = FloatVector.fromArray(S, src, srcOff + 1 * srcStride);
        FloatVector r2 = FloatVector.fromArray(S, src, srcOff + 2 * srcStride);
        FloatVector r3 = FloatVector.fromArray(S, src, srcOff + 3 * srcStride);
        FloatVector r4 = FloatVector.fromArray(S, src, srcOff + 4 * srcStride);
        FloatVector r5 = FloatVector.fromArray(S, src, srcOff + 5 * srcStride);
        FloatVector r6 = FloatVector.fromArray(S, src, srcOff + 6 * srcStride);
        FloatVector r7 = FloatVector.fromArray(S, src, srcOff + 7 * srcStride);
        FloatVector r8 = FloatVector.fromArray(S, src, srcOff + 8 * srcStride);
        FloatVector r9 = FloatVector.fromArray(S, src, srcOff + 9 * srcStride);
        FloatVector r10 = FloatVector.fromArray(S, src, srcOff + 10 * srcStride);
        FloatVector r11 = FloatVector.fromArray(S, src, srcOff + 11 * srcStride);
        FloatVector r12 = FloatVector.fromArray(S, src, srcOff + 12 * srcStride);
        FloatVector r13 = FloatVector.fromArray(S, src, srcOff + 13 * srcStride);
        FloatVector r14 = FloatVector.fromArray(S, src, srcOff + 14 * srcStride);
        FloatVector r15 = FloatVector.fromArray(S, src, srcOff + 15 * srcStride);
        FloatVector t;
        t = L8.selectFrom(r0, r8);
        r8 = H8.selectFrom(r0, r8);
        r0 = t;
        t = L8.selectFrom(r1, r9);
        r9 = H8.selectFrom(r1, r9);
        r1 = t;
        t = L8.selectFrom(r2, r10);
        r10 = H8.selectFrom(r2, r10);
        r2 = t;
        t = L8.selectFrom(r3, r11);
        r11 = H8.selectFrom(r3, r11);
        r3 = t;
        t = L8.selectFrom(r4, r12);
        r12 = H8.selectFrom(r4, r12);
        r4 = t;
        t = L8.selectFrom(r5, r13);
        r13 = H8.selectFrom(r5, r13);
        r5 = t;
        t = L8.selectFrom(r6, r14);
        r14 = H8.selectFrom(r6, r14);
        r6 = t;
        t = L8.selectFrom(r7, r15);
        r15 = H8.selectFrom(r7, r15);
        r7 = t;
        t = L4.selectFrom(r0, r4);
        r4 = H4.selectFrom(r0, r4);
        r0 = t;
        t = L4.selectFrom(r1, r5);
        r5 = H4.selectFrom(r1, r5);
        r1 = t;
        t = L4.selectFrom(r2, r6);
        r6 = H4.selectFrom(r2, r6);
        r2 = t;
        t = L4.selectFrom(r3, r7);
        r7 = H4.selectFrom(r3, r7);
        r3 = t;
        t = L4.selectFrom(r8, r12);
        r12 = H4.selectFrom(r8, r12);
        r8 = t;
        t = L4.selectFrom(r9, r13);
        r13 = H4.selectFrom(r9, r13);
        r9 = t;
        t = L4.selectFrom(r10, r14);
        r14 = H4.selectFrom(r10, r14);
        r10 = t;
        t = L4.selectFrom(r11, r15);
        r15 = H4.selectFrom(r11, r15);
        r11 = t;
        t = L2.selectFrom(r0, r2);
        r2 = H2.selectFrom(r0, r2);
        r0 = t;
        t = L2.selectFrom(r1, r3);
        r3 = H2.selectFrom(r1, r3);
        r1 = t;
        t = L2.selectFrom(r4, r6);
        r6 = H2.selectFrom(r4, r6);
        r4 = t;
        t = L2.selectFrom(r5, r7);
        r7 = H2.selectFrom(r5, r7);
        r5 = t;
        t = L2.selectFrom(r8, r10);
        r10 = H2.selectFrom(r8, r10);
        r8 = t;
        t = L2.selectFrom(r9, r11);
        r11 = H2.selectFrom(r9, r11);
        r9 = t;
        t = L2.selectFrom(r12, r14);
        r14 = H2.selectFrom(r12, r14);
        r12 = t;
        t = L2.selectFrom(r13, r15);
        r15 = H2.selectFrom(r13, r15);
        r13 = t;
        t = L1.selectFrom(r0, r1);
        r1 = H1.selectFrom(r0, r1);
        r0 = t;
        t = L1.selectFrom(r2, r3);
        r3 = H1.selectFrom(r2, r3);
        r2 = t;
        t = L1.selectFrom(r4, r5);
        r5 = H1.selectFrom(r4, r5);
        r4 = t;
        t = L1.selectFrom(r6, r7);
        r7 = H1.selectFrom(r6, r7);
        r6 = t;
        t = L1.selectFrom(r8, r9);
        r9 = H1.selectFrom(r8, r9);
        r8 = t;
        t = L1.selectFrom(r10, r11);
        r11 = H1.selectFrom(r10, r11);
        r10 = t;
        t = L1.selectFrom(r12, r13);
        r13 = H1.selectFrom(r12, r13);
        r12 = t;
        t = L1.selectFrom(r14, r15);
        r15 = H1.selectFrom(r14, r15);
        r14 = t;
        r0.intoArray(dst, dstOff + 0 * dstStride);
        r1.intoArray(dst, dstOff + 1 * dstStride);
        r2.intoArray(dst, dstOff + 2 * dstStride);
        r3.intoArray(dst, dstOff + 3 * dstStride);
        r4.intoArray(dst, dstOff + 4 * dstStride);
        r5.intoArray(dst, dstOff + 5 * dstStride);
        r6.intoArray(dst, dstOff + 6 * dstStride);
        r7.intoArray(dst, dstOff + 7 * dstStride);
        r8.intoArray(dst, dstOff + 8 * dstStride);
        r9.intoArray(dst, dstOff + 9 * dstStride);
        r10.intoArray(dst, dstOff + 10 * dstStride);
        r11.intoArray(dst, dstOff + 11 * dstStride);
        r12.intoArray(dst, dstOff + 12 * dstStride);
        r13.intoArray(dst, dstOff + 13 * dstStride);
        r14.intoArray(dst, dstOff + 14 * dstStride);
        r15.intoArray(dst, dstOff + 15 * dstStride);
    }
}
