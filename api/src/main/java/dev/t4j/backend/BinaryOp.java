package dev.t4j.backend;

/** Elementwise functions of two broadcast tensors. Comparisons write 1 or 0 in the output's type. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, POW, EQ, NE, LT, LE, GT, GE;

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
