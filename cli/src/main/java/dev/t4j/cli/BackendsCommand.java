package dev.t4j.cli;

import dev.t4j.backend.Backends;
import java.io.PrintStream;
import java.util.Set;

/** {@code t4j backends}: every backend on the classpath, its status, and which one a run would use. */
final class BackendsCommand {
    private BackendsCommand() {}

    static int run(String[] argv, PrintStream out) {
        new Args(argv, 1, Set.of(), Set.of());
        var found = Backends.discover();
        String requested = Backends.requested();
        String chosen;
        try {
            chosen = Backends.choose(found, requested).name();
        } catch (IllegalStateException e) {
            chosen = null;
            out.println("no backend can be used: " + e.getMessage());
        }
        out.printf("%-10s %-9s %-12s %s%n", "BACKEND", "PRIORITY", "STATUS", "DETAIL");
        for (var f : found) {
            String status = f.availability().available()
                    ? (f.provider().name().equals(chosen) ? "selected" : "available")
                    : "unavailable";
            out.printf("%-10s %-9d %-12s %s%n", f.provider().name(), f.provider().priority(), status,
                    f.availability().reason());
        }
        if (requested != null) {
            out.println("requested by -D" + Backends.PROPERTY + " / " + Backends.ENV + ": " + requested);
        }
        return chosen == null ? 1 : 0;
    }
}
