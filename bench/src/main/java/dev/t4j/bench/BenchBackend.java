package dev.t4j.bench;

import dev.t4j.backend.Backend;
import dev.t4j.backend.Backends;
import dev.t4j.cpu.CpuBackend;

/**
 * The backend a model benchmark runs on, from its first argument: a thread count runs the CPU backend with that
 * many threads (the CPU tables of BENCHMARKS.md), {@code cuda} the default backend, which must then be CUDA
 * (scripts/gpu-check.sh passes -Dt4j.backend=cuda, so an unavailable GPU fails with its reason, not a CPU figure).
 */
record BenchBackend(Backend backend, String label) {

    static BenchBackend fromArgs(String[] args) {
        String arg = args.length > 0 ? args[0] : "1";
        if (arg.equals("cuda")) {
            return new BenchBackend(require("cuda"), "\"cuda\"");
        }
        int threads = Integer.parseInt(arg);
        CpuBackend cpu = new CpuBackend(threads);
        Backends.setDefault(cpu);
        return new BenchBackend(cpu, Integer.toString(threads));
    }

    /** The default backend, which must be {@code name}: a benchmark must not time a CPU by mistake. */
    static Backend require(String name) {
        Backend chosen = Backends.defaultBackend();
        if (!chosen.name().equals(name)) {
            throw new IllegalStateException("the chosen backend is " + chosen.name() + ", not " + name + "; run with "
                    + "-Dt4j.backend=" + name + " to see why it is unavailable");
        }
        return chosen;
    }
}
