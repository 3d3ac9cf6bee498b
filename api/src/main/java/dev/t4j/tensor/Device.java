package dev.t4j.tensor;

/** Where a tensor's storage lives: {@code cpu}, or {@code cuda:0}. */
public record Device(String type, int index) {
    public static final Device CPU = new Device("cpu", 0);

    public Device {
        if (type == null || type.isBlank()) {
            throw new IllegalArgumentException("device type must not be blank");
        }
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
    }

    /** Parses {@code cpu}, {@code cuda} or {@code cuda:1}. */
    public static Device parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            return new Device(text.trim(), 0);
        }
        try {
            return new Device(text.substring(0, colon).trim(), Integer.parseInt(text.substring(colon + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad device '" + text + "': expected TYPE or TYPE:INDEX, e.g. cuda:0");
        }
    }

    @Override
    public String toString() {
        return type.equals("cpu") ? "cpu" : type + ":" + index;
    }
}
