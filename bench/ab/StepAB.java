import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Two or more builds of t4j in one JVM, each in a class loader of its own, their training steps interleaved: step i
 * of every build runs before step i + 1 of any, so this machine's drift (5-10 % over minutes) lands on all of them
 * alike, and the paired differences resolve ~2 ms in a ~350 ms step where separate runs could not resolve 10. Each
 * round starts with the next build in turn, so none always runs first. What runs is dev.t4j.bench.Stepper (the
 * training step), or the class -Dab.class names (ProductsStepper: the step's matrix products alone).
 * Arguments: steps, then each build's root (holding target/ab, bench/target/classes and bench/target/cp.txt).
 */
public final class StepAB {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int k = args.length - 1;
        Runnable[] steps = new Runnable[k];
        for (int i = 0; i < k; i++) {
            Path root = Path.of(args[i + 1]);
            List<URL> urls = new ArrayList<>();
            urls.add(root.resolve("target/ab").toUri().toURL());
            urls.add(root.resolve("bench/target/classes").toUri().toURL());
            for (String p : Files.readString(root.resolve("bench/target/cp.txt")).trim().split(":")) {
                urls.add(Path.of(p).toUri().toURL());
            }
            ClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
            Thread.currentThread().setContextClassLoader(loader); // ServiceLoader lookups see this build
            String name = System.getProperty("ab.class", "dev.t4j.bench.Stepper");
            steps[i] = (Runnable) loader.loadClass(name).getConstructor().newInstance();
        }
        for (int w = 0; w < 40; w++) { // until the JIT is done with every build's step
            for (Runnable s : steps) {
                s.run();
            }
        }
        double[][] ms = new double[k][n];
        for (int j = 0; j < n; j++) {
            for (int r = 0; r < k; r++) { // round j starts with build j % k: no build always runs first
                int i = (j + r) % k;
                long t0 = System.nanoTime();
                steps[i].run();
                ms[i][j] = (System.nanoTime() - t0) / 1e6;
            }
        }
        for (int i = 0; i < k; i++) {
            double[] sorted = ms[i].clone();
            double[] diff = new double[n];
            for (int j = 0; j < n; j++) {
                diff[j] = ms[i][j] - ms[0][j];
            }
            Arrays.sort(sorted);
            Arrays.sort(diff);
            System.out.printf(Locale.ROOT, "%s: median %.1f ms a step (min %.1f); against the first, paired: median %+.1f"
                    + " (quartiles %+.1f, %+.1f)%n", args[i + 1], sorted[n / 2], sorted[0], diff[n / 2], diff[n / 4],
                    diff[3 * n / 4]);
        }
    }
}
