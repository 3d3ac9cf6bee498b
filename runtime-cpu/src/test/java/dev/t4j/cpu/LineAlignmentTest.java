package dev.t4j.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/**
 * The index the products pack B from starts a 64-byte cache line: checked against the array's address as a second C
 * function sees it (memchr finding the array's first byte), for arrays small enough for a thread's allocation buffer
 * and large enough for G1 to place them on a region of their own.
 */
@SuppressWarnings("restricted") // the test's own downcall, as LineAlignment's
class LineAlignmentTest {
    private static final MethodHandle MEMCHR;

    static {
        Linker linker = Linker.nativeLinker();
        MEMCHR = linker.downcallHandle(linker.defaultLookup().find("memchr").orElseThrow(), FunctionDescriptor.of(
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                Linker.Option.critical(true));
    }

    @Test
    void theFirstAlignedIndexStartsACacheLine() throws Throwable {
        int[] lengths = {1, 17, 1000, 3 * 64 * 1024, 2 * 1024 * 1024};
        for (int round = 0; round < 8; round++) {
            for (int length : lengths) {
                float[] a = new float[length + 16];
                a[0] = Float.intBitsToFloat(0x7f7f7f7f); // the array's first non-zero bytes
                int index = LineAlignment.firstAlignedIndex(a);
                long address = (long) MEMCHR.invokeExact(MemorySegment.ofArray(a), 0x7f, 4L);
                assertThat(index).as("index for %d floats", length).isBetween(0, 15);
                assertThat((address + 4L * index) % LineAlignment.LINE).as("address %x + 4 * %d", address, index)
                        .isZero();
            }
        }
    }
}
