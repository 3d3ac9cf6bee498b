package dev.t4j.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * t4j's kernels: the PTX built from {@code src/main/cuda} by nvcc at build time, shipped in the jar, JIT-compiled by
 * the driver for whatever GPU is present; their argument lists, packed as the driver wants them (an array of
 * pointers to each value) and checked against each kernel's parameters as the PTX declares them, so that a Java
 * call site that disagrees with the CUDA source fails with the kernel and parameter named instead of corrupting
 * memory.
 */
final class Kernels {
    static final String RESOURCE = "/dev/t4j/cuda/kernels.ptx";
    private static final Logger LOG = Logger.getLogger(Kernels.class.getName());
    private static final Pattern VERSION = Pattern.compile("(?m)^\\.version (\\d+)\\.(\\d+)");
    private static final Pattern ENTRY = Pattern.compile("\\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+(?:\\.align \\d+\\s+)?\\.(\\w+)(?:\\s+\\.ptr)?"
            + "(?:\\s+\\.\\w+)*(?:\\s+\\.align \\d+)?\\s+\\w+(?:\\[(\\d+)\\])?");

    private Kernels() {}

    /** The shipped PTX text, or null when the jar was built without nvcc. */
    static String shippedPtx() {
        try (InputStream in = Kernels.class.getResourceAsStream(RESOURCE)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Each kernel's parameter kinds as {@link Args} records them: "u64" (pointers and 64-bit integers), "u32",
     * "f32", "f64", or "b8[N]" for a struct of N bytes.
     */
    static Map<String, List<String>> signatures(String ptx) {
        Map<String, List<String>> out = new HashMap<>();
        Matcher e = ENTRY.matcher(ptx);
        while (e.find()) {
            List<String> kinds = new ArrayList<>();
            Matcher p = PARAM.matcher(e.group(2));
            while (p.find()) {
                String t = p.group(1);
                kinds.add(switch (t) {
                    case "u64", "s64", "b64" -> "u64";
                    case "u32", "s32", "b32" -> "u32";
                    case "b8" -> "b8[" + p.group(2) + "]";
                    default -> t;
                });
            }
            out.put(e.group(1), List.copyOf(kinds));
        }
        return out;
    }

    /**
     * Loads the module. A driver older than the nvcc that built the PTX refuses its ISA version although t4j's
     * kernels use nothing new; then the version line is lowered to the newest the driver takes and loading retried.
     */
    static MemorySegment load(Driver driver, String ptx) {
        try {
            return loadText(driver, ptx);
        } catch (CudaException e) {
            if (e.code() != Driver.CUDA_ERROR_UNSUPPORTED_PTX_VERSION && e.code() != Driver.CUDA_ERROR_INVALID_PTX) {
                throw e;
            }
            String lowered = lowerVersion(ptx, driver.driverVersion());
            if (lowered.equals(ptx)) {
                throw e;
            }
            LOG.info(() -> "the CUDA driver (" + driver.driverVersion() + ") refused the PTX ISA of t4j's kernels ("
                    + e.getMessage() + "); retrying with the ISA version it supports");
            return loadText(driver, lowered);
        }
    }

    private static MemorySegment loadText(Driver driver, String ptx) {
        try (Arena arena = Arena.ofConfined()) {
            return driver.loadModule(arena.allocateFrom(ptx, StandardCharsets.US_ASCII));
        }
    }

    /** The PTX ISA each CUDA driver version reads at most (CUDA 12.0 = 8.0 ... 13.0 = 9.0). */
    static String lowerVersion(String ptx, int driverVersion) {
        int major = driverVersion / 1000;
        int minor = driverVersion % 1000 / 10;
        String isa;
        if (major >= 13) {
            isa = "9.0";
        } else if (major == 12) {
            isa = switch (minor) {
                case 0 -> "8.0";
                case 1 -> "8.1";
                case 2 -> "8.2";
                case 3 -> "8.3";
                case 4 -> "8.4";
                case 5, 6 -> "8.5";
                case 7, 8 -> "8.7";
                default -> "8.8";
            };
        } else if (major == 11) {
            isa = "7." + Math.min(minor, 8);
        } else {
            return ptx;
        }
        Matcher m = VERSION.matcher(ptx);
        return m.find() ? m.replaceFirst(".version " + isa) : ptx;
    }

    /** Arguments of one launch, in the kernel's parameter order. */
    static final class Args {
        private final Arena arena;
        private final List<MemorySegment> values = new ArrayList<>(16);
        private final List<String> kinds = new ArrayList<>(16);

        Args(Arena arena) {
            this.arena = arena;
        }

        Args ptr(long address) {
            return add("u64", arena.allocateFrom(ValueLayout.JAVA_LONG, address));
        }

        Args i32(int v) {
            return add("u32", arena.allocateFrom(ValueLayout.JAVA_INT, v));
        }

        Args i64(long v) {
            return add("u64", arena.allocateFrom(ValueLayout.JAVA_LONG, v));
        }

        Args f32(float v) {
            return add("f32", arena.allocateFrom(ValueLayout.JAVA_FLOAT, v));
        }

        Args f64(double v) {
            return add("f64", arena.allocateFrom(ValueLayout.JAVA_DOUBLE, v));
        }

        Args layout(Layout l) {
            return add("b8[" + Layout.BYTES + "]", l.pack(arena));
        }

        /** A struct of 64-bit integers, passed by value. */
        Args longs(long... v) {
            return add("b8[" + 8 * v.length + "]", arena.allocateFrom(ValueLayout.JAVA_LONG, v));
        }

        private Args add(String kind, MemorySegment value) {
            kinds.add(kind);
            values.add(value);
            return this;
        }

        /** Fails naming the kernel and the first parameter whose kind differs from the PTX declaration. */
        void check(Kernel kernel, Map<String, List<String>> signatures) {
            List<String> expected = signatures.get(kernel.symbol());
            if (expected == null) {
                throw new IllegalStateException("kernel " + kernel.symbol() + " is not in t4j's PTX");
            }
            if (!expected.equals(kinds)) {
                throw new IllegalStateException("arguments for kernel " + kernel.symbol() + " do not match its "
                        + "parameters: passed " + kinds + ", declared " + expected);
            }
        }

        MemorySegment pack() {
            MemorySegment array = arena.allocate(ValueLayout.ADDRESS, values.size());
            for (int i = 0; i < values.size(); i++) {
                array.setAtIndex(ValueLayout.ADDRESS, i, values.get(i));
            }
            return array;
        }
    }

    /** Blocks for a grid-stride loop over n elements with 256 threads each (capped; the loop covers the rest). */
    static int gridFor(long n) {
        return (int) Math.min(Math.max(1, (n + 255) / 256), 1 << 20);
    }
}
