package dev.t4j.plot;

import dev.t4j.io.AtomicFile;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws a {@link LinePlot} with headless AWT and writes it atomically as PNG. */
final class LinePlotPainter {
    private LinePlotPainter() {}

    static void paint(String title, String xLabel, String yLabel, List<LinePlot.Series> series, Path file, int width,
            int height) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int left = 70;
        int right = 20;
        int top = 48;
        int bottom = 50;
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY;
        double maxY = Double.NEGATIVE_INFINITY;
        for (LinePlot.Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.y()[i])) {
                    minX = Math.min(minX, s.x()[i]);
                    maxX = Math.max(maxX, s.x()[i]);
                    minY = Math.min(minY, s.y()[i]);
                    maxY = Math.max(maxY, s.y()[i]);
                }
            }
        }
        if (!(maxX > minX)) {
            maxX = minX + 1;
        }
        if (!(maxY > minY)) {
            maxY = minY + 1;
        }
        double pad = (maxY - minY) * 0.05;
        minY -= pad;
        maxY += pad;
        int pw = width - left - right;
        int ph = height - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int t = 0; t <= 5; t++) {
            int y = top + ph - ph * t / 5;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.3g", minY + (maxY - minY) * t / 5), 5, y + 4);
            int x = left + pw * t / 5;
            g.drawString(String.format(Locale.ROOT, "%.4g", minX + (maxX - minX) * t / 5), x - 15, top + ph + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(xLabel, left + pw / 2 - 20, height - 12);
        g.drawString(yLabel, 5, top - 8);
        int legendY = top + 16;
        int legendWidth = 0;
        for (LinePlot.Series s : series) {
            legendWidth = Math.max(legendWidth, g.getFontMetrics().stringWidth(s.name()));
        }
        int legendX = left + pw - legendWidth - 40;
        for (LinePlot.Series s : series) {
            g.setColor(new Color(s.rgb()));
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                int x = left + (int) ((s.x()[i] - minX) / (maxX - minX) * pw);
                int y = top + ph - (int) ((s.y()[i] - minY) / (maxY - minY) * ph);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                } else if (s.x().length == 1) {
                    g.fillOval(x - 3, y - 3, 6, 6);
                }
                px = x;
                py = y;
            }
            g.drawLine(legendX, legendY - 4, legendX + 20, legendY - 4);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), legendX + 25, legendY);
            legendY += 16;
        }
        g.dispose();
        AtomicFile.write(file, tmp -> ImageIO.write(img, "png", tmp.toFile()));
    }
}
