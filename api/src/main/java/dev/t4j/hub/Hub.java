package dev.t4j.hub;

import dev.t4j.progress.ProgressBar;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import java.util.regex.Pattern;

/**
 * Models by Hub id ("org/name") through Hugging Face's cache layout: HF_HUB_CACHE, else HF_HOME/hub, else
 * ~/.cache/huggingface/hub, holding models--org--name/refs/REVISION (a commit hash) and snapshots/COMMIT/FILE.
 * Missing files are downloaded from HF_ENDPOINT (default https://huggingface.co) at /org/name/resolve/REV/FILE,
 * resuming a partial download with an HTTP Range request and showing a progress bar; HF_HUB_OFFLINE=1 forbids the
 * network and names what is missing.
 */
public final class Hub {
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final Map<String, String> env;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    public Hub(Map<String, String> env) {
        this.env = env;
    }

    public static boolean isRepoId(String s) {
        return REPO_ID.matcher(s).matches();
    }

    public Path cacheDir() {
        String hub = env.get("HF_HUB_CACHE");
        if (hub != null && !hub.isBlank()) {
            return Path.of(hub);
        }
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home, "hub");
        }
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache", "huggingface", "hub");
    }

    private boolean offline() {
        String v = env.get("HF_HUB_OFFLINE");
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes"));
    }

    private String endpoint() {
        String e = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co");
        return e.endsWith("/") ? e.substring(0, e.length() - 1) : e;
    }

    /**
     * The snapshot folder of {@code repoId} at {@code revision} holding {@code required} files (and those of
     * {@code optional} the Hub has), downloading what the cache lacks.
     */
    public Path snapshot(String repoId, String revision, List<String> required, List<String> optional) {
        if (!isRepoId(repoId)) {
            throw new IllegalArgumentException("'" + repoId + "' is not a Hub id of the form org/name");
        }
        Path repo = cacheDir().resolve("models--" + repoId.replace("/", "--"));
        String cached = commitOf(repo, revision);
        if (cached != null && required.stream().allMatch(f -> Files.isRegularFile(repo.resolve("snapshots").resolve(cached)
                .resolve(f)))) {
            return repo.resolve("snapshots").resolve(cached);
        }
        if (offline()) {
            throw new IllegalStateException("HF_HUB_OFFLINE is set and the cache " + repo + " lacks " + required
                    + " at revision " + revision);
        }
        for (String f : required) {
            download(repoId, revision, f, repo, true);
        }
        for (String f : optional) {
            download(repoId, revision, f, repo, false);
        }
        return repo.resolve("snapshots").resolve(commitOf(repo, revision));
    }

    private static String commitOf(Path repo, String revision) {
        if (COMMIT.matcher(revision).matches()) {
            return revision;
        }
        Path ref = repo.resolve("refs").resolve(revision);
        try {
            return Files.isRegularFile(ref) ? Files.readString(ref, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    /** Downloads one file (resuming a partial one); returns the commit the Hub reported. */
    private String download(String repoId, String revision, String file, Path repo, boolean required) {
        String url = endpoint() + "/" + repoId + "/resolve/" + revision + "/" + file;
        try {
            Path partial = repo.resolve("downloads").resolve(revision).resolve(file + ".incomplete");
            Files.createDirectories(partial.getParent());
            long have = Files.exists(partial) ? Files.size(partial) : 0;
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(30)).GET();
            if (have > 0) {
                req.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> res = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = res.statusCode();
            if (status == 404 && !required) {
                res.body().close();
                return null;
            }
            if (status != 200 && status != 206) {
                res.body().close();
                throw new IllegalStateException(url + " answered HTTP " + status);
            }
            String commit = res.headers().firstValue("X-Repo-Commit").orElse(null);
            if (commit == null || !COMMIT.matcher(commit).matches()) {
                commit = COMMIT.matcher(revision).matches() ? revision : null;
            }
            if (commit == null) {
                res.body().close();
                throw new IllegalStateException(url + " gave no X-Repo-Commit header: cannot place it in the cache");
            }
            boolean append = status == 206;
            long total = res.headers().firstValueAsLong("Content-Length").orElse(-1) + (append ? have : 0);
            ProgressBar bar = ProgressBar.onStderr("download " + file, Math.max(1, total), "bytes", Long.MAX_VALUE);
            try (InputStream in = res.body(); OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[1 << 16];
                long done = append ? have : 0;
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    done += n;
                    bar.update(Math.min(done, Math.max(1, total)), Map.of());
                }
            }
            Path target = repo.resolve("snapshots").resolve(commit).resolve(file);
            Files.createDirectories(target.getParent());
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path ref = repo.resolve("refs").resolve(revision);
            if (!COMMIT.matcher(revision).matches()) {
                Files.createDirectories(ref.getParent());
                Files.writeString(ref, commit, StandardCharsets.UTF_8);
            }
            return commit;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + url + ": " + e.getMessage()
                    + " (a partial file is kept and resumed next time)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while downloading " + url, e);
        }
    }
}
