package dev.t4j.cuda;

/** A CUDA or cuBLAS call that failed: names the error as the library does, the call, and the t4j op it served. */
public final class CudaException extends RuntimeException {
    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The CUresult or cublasStatus_t value. */
    public int code() {
        return code;
    }
}
