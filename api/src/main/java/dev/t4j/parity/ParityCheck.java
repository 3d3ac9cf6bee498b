package dev.t4j.parity;

import dev.t4j.memory.Scope;
import dev.t4j.model.ModelFamilies;
import dev.t4j.model.ModelFamily;
import dev.t4j.tensor.DType;
import dev.t4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a checkpoint folder in the hf-reference layout through its model family and compares every expected
 * tensor with the fixture's rule: pass iff |a - e| <= rtol * (|e| + scale) element-wise, with scale the largest
 * |e| of that tensor (for gradients at least the fixture's grad_scale_floor). Integer tensors must match exactly.
 */
public final class ParityCheck {
    private ParityCheck() {}

    /** One comparison: name, verdict and the worst element's error as a fraction of its allowance. */
    public record Check(String name, boolean passed, double worstRatio, String detail) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %-52s %s", passed ? "PASS" : "FAIL", name, detail);
        }
    }

    public static List<Check> run(Path dir) {
        ReferenceFolder ref = new ReferenceFolder(dir);
        ModelFamily family = ModelFamilies.forCheckpoint(dir);
        List<Check> checks = new ArrayList<>();
        try (Scope s = Scope.open("parity")) {
            Map<String, Tensor> produced = family.referenceOutputs(dir, ref.expected());
            double rtol = ref.tolerance("rtol");
            double floor = ref.tolerance("grad_scale_floor");
            Object lossValue = ref.section("scalars").get("loss");
            if (lossValue != null) {
                double e = ((Number) lossValue).doubleValue();
                Tensor a = produced.get("loss");
                if (a == null) {
                    checks.add(new Check("loss", false, Double.NaN, "not produced by the " + family.name() + " family"));
                } else {
                    double av = a.item();
                    double ratio = Math.abs(av - e) / (rtol * 2 * Math.abs(e));
                    checks.add(new Check("loss", ratio <= 1, ratio,
                            String.format(Locale.ROOT, "expected %.7g, got %.7g", e, av)));
                }
            }
            if (ref.expected().get("generation") instanceof Map<?, ?> gen && gen.get("new_token_ids") != null) {
                Tensor actual = produced.get("generation.new_token_ids");
                Tensor expected = ReferenceFolder.longs(gen.get("new_token_ids"));
                checks.add(actual == null
                        ? new Check("generation.new_token_ids", false, Double.NaN, "not produced by the "
                                + family.name() + " family")
                        : compare("generation.new_token_ids", expected, actual, 0, 0));
            }
            for (String name : ref.tensorNames()) {
                Tensor expected = ref.tensor(name);
                Tensor actual = produced.get(name);
                if (actual == null) {
                    checks.add(new Check(name, false, Double.NaN, "not produced by the " + family.name() + " family"));
                    continue;
                }
                checks.add(compare(name, expected, actual, rtol, name.startsWith("grad/") ? floor : 0));
            }
        }
        return checks;
    }

    static Check compare(String name, Tensor expected, Tensor actual, double rtol, double floor) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            return new Check(name, false, Double.NaN, "shape " + Arrays.toString(actual.shape()) + ", expected "
                    + Arrays.toString(expected.shape()));
        }
        if (expected.dtype() == DType.I32 || expected.dtype() == DType.I64) {
            long[] e = expected.toLongArray();
            long[] a = actual.toLongArray();
            for (int i = 0; i < e.length; i++) {
                if (e[i] != a[i]) {
                    return new Check(name, false, Double.POSITIVE_INFINITY, "element " + i + ": expected " + e[i]
                            + ", got " + a[i]);
                }
            }
            return new Check(name, true, 0, "exact (" + e.length + " integers)");
        }
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        double scale = floor;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < e.length; i++) {
            double allowed = rtol * (Math.abs(e[i]) + scale);
            double ratio = Math.abs(a[i] - e[i]) / allowed;
            if (!(ratio <= worst)) { // also catches NaN
                worst = Double.isNaN(ratio) ? Double.POSITIVE_INFINITY : ratio;
                worstAt = i;
            }
        }
        String detail = worstAt < 0 ? "exact" : String.format(Locale.ROOT,
                "worst element %d: expected %.6g, got %.6g (%.3f of the tolerance)", worstAt, e[worstAt], a[worstAt], worst);
        return new Check(name, worst <= 1, worst, detail);
    }
}
