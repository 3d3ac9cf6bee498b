package dev.t4j.backend;

/** Whether a backend can run here and, when not, exactly why (library, driver, device...). */
public record Availability(boolean available, String reason) {
    public static Availability yes(String detail) {
        return new Availability(true, detail);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
