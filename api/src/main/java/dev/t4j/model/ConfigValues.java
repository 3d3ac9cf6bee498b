package dev.t4j.model;

import java.util.Map;

/** Typed reads from a parsed config.json, with Hugging Face's defaults for keys a file omits. */
public final class ConfigValues {
    private ConfigValues() {}

    public static int integer(Map<String, Object> json, String key, int fallback) {
        Object v = json.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Long n)) {
            throw new IllegalArgumentException("config: " + key + " must be an integer, got " + v);
        }
        return Math.toIntExact(n);
    }

    public static double number(Map<String, Object> json, String key, double fallback) {
        Object v = json.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("config: " + key + " must be a number, got " + v);
        }
        return n.doubleValue();
    }

    public static void positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("config: " + key + " must be positive, got " + v);
        }
    }
}
