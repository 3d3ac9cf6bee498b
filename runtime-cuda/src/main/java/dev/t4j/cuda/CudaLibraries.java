package dev.t4j.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where CUDA libraries are looked for, in order: {@code CUDA_HOME} / {@code CUDA_PATH}, {@code LD_LIBRARY_PATH},
 * {@code /usr/local/cuda*}, the system library folders, and the {@code nvidia-*} Python wheels that PyTorch users
 * already have ({@code site-packages/nvidia/cublas/lib}).
 */
final class CudaLibraries {
    private final Map<String, String> env;

    CudaLibraries(Map<String, String> env) {
        this.env = env;
    }

    /** Every folder searched, in order, existing or not (so a failure can say where it looked). */
    List<Path> searchPath() {
        Set<Path> dirs = new LinkedHashSet<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) {
                dirs.add(Path.of(v, "lib64"));
                dirs.add(Path.of(v, "lib"));
            }
        }
        String ld = env.get("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String p : ld.split(":")) {
                if (!p.isBlank()) {
                    dirs.add(Path.of(p));
                }
            }
        }
        dirs.addAll(globDirs(Path.of("/usr/local"), "cuda*", "lib64"));
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        dirs.add(Path.of("/usr/lib64"));
        dirs.add(Path.of("/usr/lib/wsl/lib"));
        for (Path sitePackages : pythonSitePackages()) {
            dirs.add(sitePackages.resolve("nvidia/cublas/lib")); // CUDA 12 wheels (nvidia-cublas-cu12)
            dirs.add(sitePackages.resolve("nvidia/cu13/lib")); // CUDA 13 wheels put every library here
            dirs.add(sitePackages.resolve("nvidia/cuda_runtime/lib"));
        }
        return new ArrayList<>(dirs);
    }

    /** The first file named {@code prefix}* (e.g. "libcublas.so") in the search path. */
    Optional<Path> find(String prefix) {
        for (Path dir : searchPath()) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                Optional<Path> hit = files.filter(f -> f.getFileName().toString().startsWith(prefix))
                        .sorted().findFirst();
                if (hit.isPresent()) {
                    return hit;
                }
            } catch (IOException e) {
                // an unreadable folder is skipped like a missing one
            }
        }
        return Optional.empty();
    }

    private static List<Path> globDirs(Path parent, String glob, String child) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(parent)) {
            return out;
        }
        try (var ds = Files.newDirectoryStream(parent, glob)) {
            for (Path p : ds) {
                out.add(p.resolve(child));
            }
        } catch (IOException e) {
            // nothing to add
        }
        return out;
    }

    private List<Path> pythonSitePackages() {
        List<Path> out = new ArrayList<>();
        List<Path> roots = new ArrayList<>(List.of(Path.of("/usr/lib"), Path.of("/usr/local/lib")));
        String home = env.get("HOME");
        if (home != null) {
            roots.add(Path.of(home, ".local/lib"));
        }
        String venv = env.get("VIRTUAL_ENV");
        if (venv != null) {
            roots.add(Path.of(venv, "lib"));
        }
        String conda = env.get("CONDA_PREFIX");
        if (conda != null) {
            roots.add(Path.of(conda, "lib"));
        }
        for (Path root : roots) {
            for (Path py : globDirs(root, "python3*", "site-packages")) {
                out.add(py);
            }
            for (Path py : globDirs(root, "python3*", "dist-packages")) {
                out.add(py);
            }
        }
        return out;
    }
}
