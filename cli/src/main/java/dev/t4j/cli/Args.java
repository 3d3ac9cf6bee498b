package dev.t4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Command-line options: {@code --name value}, {@code --flag}, and positional arguments; unknown options fail. */
final class Args {
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    Args(String[] argv, int from, Set<String> valued, Set<String> flags) {
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String name = a.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (flags.contains(name)) {
                    options.put(name, "true");
                } else if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= argv.length) {
                            throw new UsageException("option --" + name + " needs a value");
                        }
                        value = argv[++i];
                    }
                    options.put(name, value);
                } else {
                    throw new UsageException("unknown option --" + name + "; known: " + known(valued, flags));
                }
            } else {
                positional.add(a);
            }
        }
    }

    private static String known(Set<String> valued, Set<String> flags) {
        List<String> all = new ArrayList<>();
        valued.forEach(v -> all.add("--" + v + " VALUE"));
        flags.forEach(f -> all.add("--" + f));
        return all.isEmpty() ? "none" : String.join(", ", all);
    }

    String get(String name, String fallback) {
        return options.getOrDefault(name, fallback);
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }

    int getInt(String name, int fallback) {
        String v = options.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " expects an integer, got '" + v + "'");
        }
    }

    double getDouble(String name, double fallback) {
        String v = options.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    List<String> positional() {
        return positional;
    }

    /** A mistake in how the command was called: printed with usage, exit status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
