package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CudaBackendProviderTest {
    @Test
    void saysWhyItIsUnavailableOrCreatesTheBackend() {
        var provider = new CudaBackendProvider();
        var availability = provider.availability();
        assertThat(availability.reason()).isNotBlank();
        if (availability.available()) {
            assertThat(provider.create().device().toString()).startsWith("cuda:");
        } else {
            assertThatThrownBy(provider::create).hasMessageContaining(availability.reason());
        }
    }

    @Test
    void searchPathCoversCudaHomeLdLibraryPathAndPythonWheels() {
        var libs = new CudaLibraries(Map.of("CUDA_HOME", "/opt/cuda-x", "LD_LIBRARY_PATH", "/a:/b", "HOME", "/home/u"));
        var path = libs.searchPath();
        assertThat(path).startsWith(Path.of("/opt/cuda-x/lib64"), Path.of("/opt/cuda-x/lib"), Path.of("/a"),
                Path.of("/b"));
        assertThat(path.indexOf(Path.of("/a"))).isLessThan(path.indexOf(Path.of("/usr/lib/x86_64-linux-gnu")));
    }

    @Test
    void ptxVersionIsLoweredToWhatAnOlderDriverReads() {
        String ptx = "//\n.version 9.0\n.target sm_75\n";
        assertThat(Kernels.lowerVersion(ptx, 12040)).contains(".version 8.4").contains(".target sm_75");
        assertThat(Kernels.lowerVersion(ptx, 12090)).contains(".version 8.8");
        assertThat(Kernels.lowerVersion(ptx, 13000)).contains(".version 9.0");
    }
}
