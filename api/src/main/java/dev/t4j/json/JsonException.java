package dev.t4j.json;

/** Malformed JSON, or a value of the wrong kind, with the file and position in the message. */
public final class JsonException extends RuntimeException {
    public JsonException(String message) {
        super(message);
    }
}
