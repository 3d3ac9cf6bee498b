package dev.t4j.safetensors;

/** A safetensors file that cannot be read as it is: the message names the file and the tensor. */
public final class SafeTensorsException extends RuntimeException {
    public SafeTensorsException(String message) {
        super(message);
    }
}
