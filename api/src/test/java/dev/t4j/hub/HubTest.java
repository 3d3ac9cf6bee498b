package dev.t4j.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hub cache and download path against a server on loopback that answers the way the Hub does. */
class HubTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final Path FIXTURE = Path.of(System.getProperty("t4j.root"), "fixtures/hf-reference/gpt2");

    private static HttpServer serve(List<String> ranges) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/org/tiny/resolve/main/", ex -> {
            String file = ex.getRequestURI().getPath().substring("/org/tiny/resolve/main/".length());
            Path p = FIXTURE.resolve(file);
            if (!Files.isRegularFile(p)) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] all = Files.readAllBytes(p);
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = 0;
            if (range != null) {
                ranges.add(range);
                from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
            }
            ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
            ex.sendResponseHeaders(range == null ? 200 : 206, all.length - from);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(all, from, all.length - from);
            }
        });
        server.start();
        return server;
    }

    @Test
    void downloadsIntoTheCacheLayoutResumesAndWorksOffline(@TempDir Path cache) throws Exception {
        List<String> ranges = new CopyOnWriteArrayList<>();
        HttpServer server = serve(ranges);
        try {
            String endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
            Hub hub = new Hub(Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", endpoint));
            // a partial download left by an interrupted run is resumed with a Range request
            Path partial = cache.resolve("models--org--tiny/downloads/main/model.safetensors.incomplete");
            Files.createDirectories(partial.getParent());
            byte[] model = Files.readAllBytes(FIXTURE.resolve("model.safetensors"));
            Files.write(partial, java.util.Arrays.copyOf(model, 1000));
            Path snap = hub.snapshot("org/tiny", "main", List.of("config.json", "model.safetensors"),
                    List.of("generation_config.json", "tokenizer.json"));
            assertThat(snap).isEqualTo(cache.resolve("models--org--tiny/snapshots/" + COMMIT));
            assertThat(Files.readAllBytes(snap.resolve("model.safetensors"))).isEqualTo(model);
            assertThat(Files.readString(snap.resolve("config.json"))).isEqualTo(Files.readString(FIXTURE.resolve("config.json")));
            assertThat(snap.resolve("generation_config.json")).exists();
            assertThat(snap.resolve("tokenizer.json")).doesNotExist(); // optional, 404 on the server
            assertThat(ranges).containsExactly("bytes=1000-");
            assertThat(Files.readString(cache.resolve("models--org--tiny/refs/main"))).isEqualTo(COMMIT);
        } finally {
            server.stop(0);
        }
        Hub offline = new Hub(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1"));
        assertThat(offline.snapshot("org/tiny", "main", List.of("config.json", "model.safetensors"), List.of()))
                .isEqualTo(cache.resolve("models--org--tiny/snapshots/" + COMMIT));
        assertThatThrownBy(() -> offline.snapshot("org/other", "main", List.of("config.json"), List.of()))
                .hasMessageContaining("HF_HUB_OFFLINE").hasMessageContaining("models--org--other");
    }

    @Test
    void cacheFolderFollowsTheEnvironment() {
        assertThat(new Hub(Map.of("HF_HUB_CACHE", "/x/hub")).cacheDir()).isEqualTo(Path.of("/x/hub"));
        assertThat(new Hub(Map.of("HF_HOME", "/y")).cacheDir()).isEqualTo(Path.of("/y/hub"));
        assertThat(new Hub(Map.of("HOME", "/home/u")).cacheDir()).isEqualTo(Path.of("/home/u/.cache/huggingface/hub"));
        assertThat(Hub.isRepoId("openai-community/gpt2")).isTrue();
        assertThat(Hub.isRepoId("runs/gpt/model")).isFalse();
    }
}
