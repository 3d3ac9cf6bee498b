package dev.t4j.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * t4j's kernels: the PTX built from {@code src/main/cuda} by nvcc at build time, shipped in the jar, JIT-compiled by
 * the driver for whatever GPU is present, and launched with their arguments packed as the driver wants them (an
 * array of pointers to each argument's value).
 */
final class Kernels {
    static final String RESOURCE = "/dev/t4j/cuda/kernels.ptx";
    private static final Logger LOG = Logger.getLogger(Kernels.class.getName());
    private static final Pattern VERSION = Pattern.compile("(?m)^\\.version (\\d+)\\.(\\d+)");

    private final Driver driver;
    private final Map<Kernel, MemorySegment> functions = new EnumMap<>(Kernel.class);

    Kernels(Driver driver, String ptx) {
        this.driver = driver;
        MemorySegment module = load(ptx);
        for (Kernel k : Kernel.values()) {
            functions.put(k, driver.function(module, k.symbol()));
        }
    }

    /** The shipped PTX text, or null when the jar was built without nvcc. */
    static String shippedPtx() {
        try (InputStream in = Kernels.class.getResourceAsStream(RESOURCE)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Loads the module. A driver older than the nvcc that built the PTX refuses its ISA version although t4j's
     * kernels use nothing new; then the version line is lowered to the newest the driver takes and loading retried.
     */
    private MemorySegment load(String ptx) {
        try {
            return loadText(ptx);
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
            return loadText(lowered);
        }
    }

    private MemorySegment loadText(String ptx) {
        try (Arena arena = Arena.ofConfined()) {
            return driver.loadModule(arena.allocateFrom(ptx, StandardCharsets.US_ASCII));
        }
    }

    /** The PTX ISA each CUDA driver version reads at most (CUDA 12.0 = 7.8 ... 13.0 = 9.0). */
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
        private final MemorySegment[] values = new MemorySegment[16];
        private int count;

        Args(Arena arena) {
            this.arena = arena;
        }

        Args ptr(long address) {
            return add(arena.allocateFrom(ValueLayout.JAVA_LONG, address));
        }

        Args i32(int v) {
            return add(arena.allocateFrom(ValueLayout.JAVA_INT, v));
        }

        Args i64(long v) {
            return add(arena.allocateFrom(ValueLayout.JAVA_LONG, v));
        }

        Args f32(float v) {
            return add(arena.allocateFrom(ValueLayout.JAVA_FLOAT, v));
        }

        Args f64(double v) {
            return add(arena.allocateFrom(ValueLayout.JAVA_DOUBLE, v));
        }

        Args layout(Layout l) {
            return add(l.pack(arena));
        }

        private Args add(MemorySegment value) {
            values[count++] = value;
            return this;
        }

        MemorySegment pack() {
            MemorySegment array = arena.allocate(ValueLayout.ADDRESS, count);
            for (int i = 0; i < count; i++) {
                array.setAtIndex(ValueLayout.ADDRESS, i, values[i]);
            }
            return array;
        }
    }

    void launch(Kernel kernel, int grid, int block, MemorySegment stream, Args args, String op) {
        driver.launch(functions.get(kernel), Math.max(1, grid), block, 0, stream, args.pack(), op);
    }

    /** Blocks for a grid-stride loop over n elements with 256 threads each (capped; the loop covers the rest). */
    static int gridFor(long n) {
        return (int) Math.min(Math.max(1, (n + 255) / 256), 1 << 20);
    }
}
