package dev.t4j.progress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Progress of a long job: on a terminal, one line redrawn in place with a bar, rate and ETA; elsewhere (CI, a
 * file), a plain log line every {@code logEvery} steps, so logs stay readable.
 */
public final class ProgressBar {
    private final String label;
    private final long total;
    private final String unit;
    private final PrintStream out;
    private final boolean terminal;
    private final long logEvery;
    private final long startNanos = System.nanoTime();
    private long lastDrawNanos;

    public ProgressBar(String label, long total, String unit, PrintStream out, boolean terminal, long logEvery) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.out = out;
        this.terminal = terminal;
        this.logEvery = Math.max(1, logEvery);
    }

    /** To standard error, redrawn in place when it is a terminal. */
    public static ProgressBar onStderr(String label, long total, String unit, long logEvery) {
        var console = System.console();
        boolean tty = console != null && console.isTerminal() && System.getenv("CI") == null;
        return new ProgressBar(label, total, unit, System.err, tty, logEvery);
    }

    /** Reports that {@code done} of total are finished, with named figures (loss, lr, tok/s...). */
    public void update(long done, Map<String, String> figures) {
        long now = System.nanoTime();
        boolean last = done >= total;
        if (terminal) {
            if (!last && now - lastDrawNanos < 100_000_000L) {
                return; // at most ten redraws a second
            }
            lastDrawNanos = now;
            out.print("\r\033[2K" + line(done, figures, now, true) + (last ? "\n" : ""));
            out.flush();
        } else if (done % logEvery == 0 || last || done == 1) {
            out.println(line(done, figures, now, false));
        }
    }

    String line(long done, Map<String, String> figures, long now, boolean bar) {
        double seconds = (now - startNanos) / 1e9;
        double rate = seconds > 0 ? done / seconds : 0;
        double eta = rate > 0 ? (total - done) / rate : Double.NaN;
        StringBuilder sb = new StringBuilder(label).append(' ');
        if (bar) {
            int width = 24;
            int filled = (int) Math.min(width, width * done / Math.max(1, total));
            sb.append('[').append("#".repeat(filled)).append(".".repeat(width - filled)).append("] ");
        }
        sb.append(done).append('/').append(total).append(' ').append(unit);
        for (var e : figures.entrySet()) {
            sb.append(" | ").append(e.getKey()).append(' ').append(e.getValue());
        }
        sb.append(String.format(Locale.ROOT, " | %.2f %s/s | %s elapsed | ETA %s", rate, unit, clock(seconds),
                clock(eta)));
        return sb.toString();
    }

    static String clock(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
