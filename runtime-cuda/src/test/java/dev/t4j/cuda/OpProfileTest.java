package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.t4j.backend.UnaryOp;
import dev.t4j.memory.Scope;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class OpProfileTest {
    @Test
    void ranksOpsByTotalTime() {
        OpProfile p = new OpProfile(false);
        p.add("matmul", 3_000_000);
        p.add("add", 500_000);
        p.add("matmul", 1_000_000);
        String table = p.table();
        assertThat(table).contains("4.5 ms in all");
        assertThat(table.indexOf("matmul")).isLessThan(table.indexOf("add"));
        assertThat(table).containsPattern("matmul\\s+2\\s+4\\.0\\s+2000\\.0\\s+88\\.9%");
    }

    @Test
    void theBackendTimesEachOpWhenAsked() {
        String ptx = Kernels.shippedPtx();
        Assumptions.assumeTrue(ptx != null, "kernels.ptx was not built (no nvcc when this module was built)");
        CudaBackend cuda = new CudaBackend(new RecordingDevice(), 0, Kernels.signatures(ptx), false, new OpProfile(false));
        try (Scope s = Scope.open("profile")) {
            float[] v = {1, 2, 3};
            Tensor x = Tensor.upload(cuda, DType.F32, MemorySegment.ofArray(v), 3, 3);
            cuda.unary(UnaryOp.EXP, 0, x, Tensor.empty(cuda, DType.F32, 3));
            cuda.unary(UnaryOp.EXP, 0, x, Tensor.empty(cuda, DType.F32, 3));
        }
        assertThat(cuda.profileTable()).containsPattern("exp\\s+2\\s");
    }
}
