package dev.t4j.bench;

import dev.t4j.backend.Backends;
import dev.t4j.cpu.CpuBackend;
import dev.t4j.gpt.GPT2Config;
import dev.t4j.gpt.GPT2LMHeadModel;
import dev.t4j.memory.Scope;
import dev.t4j.optim.AdamW;
import dev.t4j.tensor.Generator;
import dev.t4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a training step of the toolkit model (GptTrainThroughput's: 4 layers, width 256, vocabulary 8,192, 2,048
 * tokens, AdamW) spends its time: Java Flight Recorder's execution samples (every 10 ms) over a number of steps
 * after the JIT is quiet, each sample put in the part of the step its stack is in (the products, their kernel, packing
 * and merging; attention; GELU and the other unary ops; cross-entropy; layer norms; adds and the other binary ops;
 * AdamW; gradient copies; on several threads, the pool's workers spinning between tasks; the rest), printed as a
 * Markdown table in ms a step. The samples are of every thread that ran t4j code, so on two threads the parts add up
 * to about twice the step; and JFR does not catch every period (the samples' total is printed beside the step's
 * time), so the shares are what to read.
 * Arguments: threads (default 1), steps (default 60), sampling period in ms (default 10). bench/profile.sh runs it.
 */
public final class StepProfile {
    private StepProfile() {}

    /** The parts of a step, in the order printed. */
    private enum Part {
        KERNEL("matrix products: micro-kernel"),
        PACKING("matrix products: packing and the rest"),
        MERGING("matrix products: merging tiles into C"),
        ATTENTION("attention"),
        UNARY("GELU and other unary ops"),
        CROSS_ENTROPY("cross-entropy"),
        LAYER_NORM("layer norms"),
        BINARY("adds and other binary ops"),
        ADAMW("AdamW"),
        GRADIENT_COPIES("gradient copies"),
        POOL("pool threads between tasks"),
        REST("the rest");

        final String label;

        Part(String label) {
            this.label = label;
        }
    }

    public static void main(String[] args) throws IOException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int period = args.length > 2 ? Integer.parseInt(args[2]) : 10; // ms: at 1 ms the step ran ~15 % slower
        Backends.setDefault(new CpuBackend(threads));
        GPT2Config c = GptTrainThroughput.config(false, 0);
        int t = c.nPositions();
        long[] samples = new long[Part.values().length]; // ms of samples in each part
        double msPerStep;
        Path file = Files.createTempFile("t4j-step", ".jfr");
        try (Scope s = Scope.open("model"); Recording recording = new Recording()) {
            GPT2LMHeadModel model = new GPT2LMHeadModel(c, new Generator(0));
            AdamW opt = new AdamW(model.parameters(), 1e-3);
            Tensor ids = Tensor.randint(new Generator(1), c.vocabSize(), GptTrainThroughput.BATCH, t + 1);
            Warmup.untilCompiled(() -> GptTrainThroughput.step(model, opt, ids, t), 5, 60);
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(period));
            recording.start();
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                GptTrainThroughput.step(model, opt, ids, t);
            }
            msPerStep = (System.nanoTime() - start) / 1e6 / steps;
            recording.stop();
            recording.dump(file);
        }
        long all = 0; // ms of samples
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("jdk.ExecutionSample") && e.getStackTrace() != null) {
                Part part = part(e.getStackTrace().getFrames());
                if (part != null) {
                    samples[part.ordinal()] += period;
                    all += period;
                }
            }
        }
        Files.delete(file);
        System.out.printf(Locale.ROOT, "%d thread%s, %d steps of %.1f ms; samples of t4j code every %d ms: %.1f ms a "
                + "step%n%n", threads, threads > 1 ? "s" : "", steps, msPerStep, period, (double) all / steps);
        System.out.println("| part of the step | ms a step | share |");
        System.out.println("|---|---:|---:|");
        for (Part p : Part.values()) {
            long n = samples[p.ordinal()];
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f %% |%n", p.label, (double) n / steps, 100.0 * n / all);
        }
    }

    /** The part of the step a sample's frames (innermost first) are in; null for a thread not running t4j. */
    private static Part part(List<RecordedFrame> frames) {
        String leaf = null; // the innermost t4j method: the JDK's own frames (vector intrinsics, copies) are its work
        String op = null; // the outermost backend operation on the stack
        String task = null; // on a worker thread, what its task is part of: the outermost Gemm or FusedAttention frame
        boolean pool = false;
        for (RecordedFrame f : frames) {
            String type = f.getMethod().getType().getName();
            String method = f.getMethod().getName();
            if (!type.startsWith("dev.t4j.")) {
                continue;
            }
            if (leaf == null) {
                leaf = type + "." + method;
            }
            if (method.startsWith("lambda$")) { // lambda$matmul$0: matmul
                method = method.substring(7, Math.max(7, method.indexOf('$', 7)));
            }
            switch (type) {
                case "dev.t4j.cpu.CpuBackend" -> op = method;
                case "dev.t4j.cpu.Gemm" -> task = "matmul";
                case "dev.t4j.cpu.FusedAttention" -> task = "attention";
                default -> pool |= type.startsWith("dev.t4j.cpu.Parallel$"); // a worker spinning, or parking
            }
        }
        if (leaf == null) {
            return null;
        }
        op = op != null ? op : task != null ? task : pool ? "pool" : "";
        return switch (op) {
            case "matmul", "matmulAccumulate", "linear", "linearParamGradients" -> switch (leaf) {
                case "dev.t4j.cpu.Gemm.kernelRows", "dev.t4j.cpu.Gemm.kernelCols", "dev.t4j.cpu.Gemm.kernelRowsShort",
                        "dev.t4j.cpu.Gemm.kernelColsShort" -> Part.KERNEL;
                case "dev.t4j.cpu.Gemm.mergeTile" -> Part.MERGING;
                default -> Part.PACKING;
            };
            case "attention", "attentionBackward", "attentionPacked", "attentionPackedBackward" -> Part.ATTENTION;
            case "unary", "activationBackward" -> Part.UNARY;
            case "crossEntropy", "crossEntropyBackward", "crossEntropyWithGradient" -> Part.CROSS_ENTROPY;
            case "layerNorm", "layerNormBackward" -> Part.LAYER_NORM;
            case "binary" -> Part.BINARY;
            case "adamw" -> Part.ADAMW;
            case "copy" -> Part.GRADIENT_COPIES;
            case "pool" -> Part.POOL;
            default -> Part.REST;
        };
    }
}
