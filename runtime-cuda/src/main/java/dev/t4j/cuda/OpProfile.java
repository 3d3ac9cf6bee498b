package dev.t4j.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where GPU time goes, op by op ({@code -Dt4j.cuda.profile=true}): every op is synchronised and timed from its
 * call to its completion, Java overhead included, and a table of the ops by total time is printed to stderr when the
 * JVM exits. Synchronising slows a run down; the table says what each op costs, not how they overlap.
 */
final class OpProfile {
    private record Entry(String op, long calls, long nanos) {}

    private final Map<String, long[]> totals = new HashMap<>();

    /** @param printAtExit whether the table goes to stderr when the JVM exits */
    OpProfile(boolean printAtExit) {
        if (printAtExit) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.print(table())));
        }
    }

    synchronized void add(String op, long nanos) {
        long[] t = totals.computeIfAbsent(op, k -> new long[2]);
        t[0]++;
        t[1] += nanos;
    }

    synchronized String table() {
        List<Entry> entries = new ArrayList<>();
        long all = 0;
        for (var e : totals.entrySet()) {
            entries.add(new Entry(e.getKey(), e.getValue()[0], e.getValue()[1]));
            all += e.getValue()[1];
        }
        entries.sort((a, b) -> Long.compare(b.nanos(), a.nanos()));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%n[t4j] cuda op profile (each op synchronised): %.1f ms in all%n%-36s %9s %11s %8s %6s%n",
                all / 1e6, "op", "calls", "total ms", "us/call", "share"));
        for (Entry e : entries.subList(0, Math.min(25, entries.size()))) {
            sb.append(String.format(Locale.ROOT, "%-36s %9d %11.1f %8.1f %5.1f%%%n", e.op(), e.calls(), e.nanos() / 1e6,
                    e.nanos() / 1e3 / e.calls(), 100.0 * e.nanos() / Math.max(1, all)));
        }
        return sb.toString();
    }
}
