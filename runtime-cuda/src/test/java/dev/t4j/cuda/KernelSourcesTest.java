package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.backend.BinaryOp;
import dev.t4j.backend.ReduceOp;
import dev.t4j.backend.UnaryOp;
import dev.t4j.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Java side passes ops and dtypes to the kernels as ordinals, and names kernels by string: both must agree with
 * the CUDA sources and the shipped PTX, which this checks without a GPU.
 */
class KernelSourcesTest {
    /** The module folder when Maven runs the test, the repository root when scripts/gpu-check.sh does. */
    private static final Path SOURCES = Files.isDirectory(Path.of("src/main/cuda")) ? Path.of("src/main/cuda")
            : Path.of("runtime-cuda/src/main/cuda");

    private static List<String> cEnum(String file, String pattern) throws IOException {
        String src = Files.readString(SOURCES.resolve(file));
        Matcher m = Pattern.compile(pattern + "\\s*\\{([^}]*)\\}").matcher(src);
        assertThat(m.find()).as(pattern + " in " + file).isTrue();
        return Arrays.stream(m.group(1).split(",")).map(s -> s.replaceAll("=.*", "").strip()).filter(s -> !s.isEmpty())
                .toList();
    }

    private static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).toList();
    }

    @Test
    void opAndTypeOrdinalsMatchTheCudaEnums() throws IOException {
        assertThat(cEnum("elementwise.cu", "namespace Unary \\{ enum Op")).isEqualTo(names(UnaryOp.values()));
        assertThat(cEnum("elementwise.cu", "namespace Binary \\{ enum Op")).isEqualTo(names(BinaryOp.values()));
        assertThat(cEnum("reduce.cu", "namespace Reduce \\{ enum Op")).isEqualTo(names(ReduceOp.values()));
        assertThat(cEnum("common.cuh", "enum DType")).isEqualTo(names(DType.values()));
    }

    @Test
    void theShippedPtxHasEveryKernelTheBackendLaunches() {
        String ptx = Kernels.shippedPtx();
        Assumptions.assumeTrue(ptx != null, "kernels.ptx was not built (no nvcc when this module was built)");
        for (Kernel k : Kernel.values()) {
            assertThat(ptx).as(k.symbol()).contains(".entry " + k.symbol() + "(");
        }
        assertThat(ptx).contains(".target sm_75");
    }
}
