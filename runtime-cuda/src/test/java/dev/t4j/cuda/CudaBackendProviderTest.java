package dev.t4j.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CudaBackendProviderTest {
    @Test
    void reportsItselfUnavailableWithAReason() {
        var provider = new CudaBackendProvider();
        var availability = provider.availability();
        assertThat(availability.available()).isFalse();
        assertThat(availability.reason()).isNotBlank();
        assertThatThrownBy(provider::create).hasMessageContaining(availability.reason());
    }

    @Test
    void searchPathCoversCudaHomeLdLibraryPathAndPythonWheels() {
        var libs = new CudaLibraries(Map.of("CUDA_HOME", "/opt/cuda-x", "LD_LIBRARY_PATH", "/a:/b", "HOME", "/home/u"));
        var path = libs.searchPath();
        assertThat(path).startsWith(Path.of("/opt/cuda-x/lib64"), Path.of("/opt/cuda-x/lib"), Path.of("/a"),
                Path.of("/b"));
        assertThat(path.indexOf(Path.of("/a"))).isLessThan(path.indexOf(Path.of("/usr/lib/x86_64-linux-gnu")));
    }
}
