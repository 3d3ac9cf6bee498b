package dev.t4j.cpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Where a heap float[]'s elements lie against 64-byte cache lines. The JVM places an array 8-byte aligned wherever its
 * allocator and collector put it, so a 16-float vector load from a packed panel of B straddles two lines unless the
 * panel starts on a line. The GEMM micro-kernel alone with hot operands, its panel at each of eight starts 8 bytes
 * apart: 209-225 GFLOP/s from the aligned one, 193-215 from the other seven, and which start was aligned changed from
 * JVM to JVM (so did the products' speed). The GPT training benchmark on one thread, five pairs of fresh JVMs, each
 * build in turn: 3,651 -> 3,909 tokens/s (medians). The address is read from a downcall that sees the array in place
 * ({@link Linker.Option#critical} with heap access: memmove of 0 bytes returns its destination), about 16 ns. A
 * collector may move the array later, so callers ask again for each product: a moved array costs speed until then,
 * never correctness.
 */
final class LineAlignment {
    static final int LINE = 64;
    private static final MethodHandle MEMMOVE = lookup();

    private LineAlignment() {}

    private static MethodHandle lookup() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("memmove").map(f -> linker.downcallHandle(f, FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                    Linker.Option.critical(true))).orElse(null);
        } catch (RuntimeException | LinkageError e) { // no native access here: unaligned, as before
            return null;
        }
    }

    /** The first index of {@code a} whose element starts a 64-byte line where the array lies now (0 to 15). */
    static int firstAlignedIndex(float[] a) {
        if (MEMMOVE == null) {
            return 0;
        }
        MemorySegment s = MemorySegment.ofArray(a);
        long address;
        try {
            address = (long) MEMMOVE.invokeExact(s, s, 0L);
        } catch (Throwable t) { // a 0-byte memmove cannot fail: this is a bug, not a machine without the call
            throw new IllegalStateException("memmove of 0 bytes failed", t);
        }
        return (int) ((LINE - address % LINE) % LINE / Float.BYTES);
    }
}
