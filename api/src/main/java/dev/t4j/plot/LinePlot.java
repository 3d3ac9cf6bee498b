package dev.t4j.plot;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small line chart written as PNG (headless AWT): loss curves, learning-rate schedules, scaling laws. The drawing
 * lives in {@link LinePlotPainter}, so that this class loads (and {@link #available} answers) on a runtime without
 * java.desktop.
 */
public final class LinePlot {
    /** One named curve. */
    public record Series(String name, double[] x, double[] y, int rgb) {}

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Adds a curve drawn in colour {@code rgb} (0xRRGGBB). */
    public LinePlot add(String name, double[] x, double[] y, int rgb) {
        series.add(new Series(name, x, y, rgb));
        return this;
    }

    /**
     * Whether this Java runtime can draw: plots need the java.desktop module, which a minimal jlinked runtime (the GPU
     * check bundle) leaves out to stay small.
     */
    public static boolean available() {
        return ModuleLayer.boot().findModule("java.desktop").isPresent();
    }

    /** Draws the chart and writes it atomically to {@code file}. */
    public void write(Path file, int width, int height) {
        if (!available()) {
            throw new UnsupportedOperationException("cannot draw " + file + ": this Java runtime has no java.desktop "
                    + "module");
        }
        LinePlotPainter.paint(title, xLabel, yLabel, series, file, width, height);
    }
}
