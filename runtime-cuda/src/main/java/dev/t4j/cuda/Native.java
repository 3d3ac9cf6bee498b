package dev.t4j.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Downcall handles into one native library, looked up by symbol name; a missing symbol names the library. */
final class Native {
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE;
    static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    private final String library;
    private final SymbolLookup lookup;
    private final Linker linker = Linker.nativeLinker();

    Native(String library, SymbolLookup lookup) {
        this.library = library;
        this.lookup = lookup;
    }

    /** A handle for {@code name} returning a C int (CUresult, cublasStatus_t) and taking {@code args}. */
    MethodHandle status(String name, MemoryLayout... args) {
        return handle(name, FunctionDescriptor.of(INT, args));
    }

    MethodHandle handle(String name, FunctionDescriptor descriptor) {
        var symbol = lookup.find(name).orElseThrow(() -> new UnsatisfiedLinkError(library + " has no symbol " + name
                + " (too old a version?)"));
        return linker.downcallHandle(symbol, descriptor);
    }

    boolean has(String name) {
        return lookup.find(name).isPresent();
    }

    /** What a downcall threw, unchecked: invokeExact declares Throwable, but native calls throw nothing checked. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
