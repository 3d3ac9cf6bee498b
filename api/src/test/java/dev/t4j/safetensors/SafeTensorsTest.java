package dev.t4j.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.t4j.memory.Scope;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    private static Path fixture(String rel) {
        return Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference", rel);
    }

    @Test
    void readsAHuggingFaceCheckpointZeroCopy() {
        try (Scope s = Scope.open("t"); SafeTensors st = SafeTensors.open(fixture("gpt2/model.safetensors"))) {
            assertThat(st.names()).contains("transformer.wte.weight", "transformer.h.1.mlp.c_proj.bias")
                    .doesNotContain("lm_head.weight");
            assertThat(st.metadata()).containsEntry("format", "pt");
            Tensor wte = st.view("transformer.wte.weight");
            assertThat(wte.shape()).containsExactly(1000, 64);
            assertThat(wte.dtype()).isEqualTo(DType.F32);
            Tensor copy = st.load("transformer.wte.weight");
            assertThat(copy.toFloatArray()).containsExactly(wte.toFloatArray());
        }
    }

    @Test
    void writesFilesItReadsBackWithEveryDtype(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.safetensors");
        try (Scope s = Scope.open("t")) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("w", Tensor.arange(0, 12, 1).reshape(3, 4).mT()); // non-contiguous: written contiguous
            tensors.put("h", Tensor.of(new float[] {1.5f, -2f}, 2).to(DType.F16));
            tensors.put("b", Tensor.of(new float[] {3.25f}, 1).to(DType.BF16));
            tensors.put("ids", Tensor.of(new long[] {7, 8, 9}, 3));
            tensors.put("empty", Tensor.zeros(0, 5));
            SafeTensors.write(file, tensors, Map.of("format", "pt"));
            try (SafeTensors st = SafeTensors.open(file)) {
                assertThat(st.names()).containsExactly("w", "h", "b", "ids", "empty");
                assertThat(st.load("w").toFloatArray()).containsExactly(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
                assertThat(st.load("h").dtype()).isEqualTo(DType.F16);
                assertThat(st.load("h").toFloatArray()).containsExactly(1.5f, -2f);
                assertThat(st.load("b").toFloatArray()).containsExactly(3.25f);
                assertThat(st.load("ids").toLongArray()).containsExactly(7, 8, 9);
                assertThat(st.load("empty").shape()).containsExactly(0, 5);
                assertThat(st.metadata()).containsEntry("format", "pt");
            }
        }
        byte[] bytes = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLen % 8).isZero();
        assertThat(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8)).startsWith("{\"__metadata__\"");
        assertThat(Files.list(dir)).containsExactly(file); // no temporary file left behind
    }

    private static Path withHeader(Path dir, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, b.array());
        return f;
    }

    @Test
    void corruptFilesAreRefusedNamingTheTensor(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> SafeTensors.open(withHeader(dir,
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8)))
                .hasMessageContaining("tensor 'a'").hasMessageContaining("outside the data section");
        assertThatThrownBy(() -> SafeTensors.open(withHeader(dir,
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)))
                .hasMessageContaining("tensor 'a'").hasMessageContaining("expected 12");
        assertThatThrownBy(() -> SafeTensors.open(withHeader(dir,
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12)))
                .hasMessageContaining("'a' and 'b' overlap");
        assertThatThrownBy(() -> SafeTensors.open(withHeader(dir,
                "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8)))
                .hasMessageContaining("dtype Q4 is not supported");
        assertThatThrownBy(() -> SafeTensors.open(withHeader(dir, "{\"a\": [1,", 8)))
                .hasMessageContaining("bad.safetensors");
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafeTensors.open(tiny)).hasMessageContaining("too short");
        Path truncated = dir.resolve("trunc.safetensors");
        Files.write(truncated, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertThatThrownBy(() -> SafeTensors.open(truncated)).hasMessageContaining("header length 1000");
    }

    @Test
    void aFailedWriteKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        try (Scope s = Scope.open("t")) {
            SafeTensors.write(file, Map.of("w", Tensor.ones(3)), Map.of("format", "pt"));
            byte[] good = Files.readAllBytes(file);
            Tensor released;
            try (Scope inner = Scope.open("inner")) {
                released = Tensor.ones(3);
            }
            Tensor dead = released;
            assertThatThrownBy(() -> SafeTensors.write(file, Map.of("w", dead), Map.of("format", "pt")))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(Files.readAllBytes(file)).isEqualTo(good);
        }
    }
}
