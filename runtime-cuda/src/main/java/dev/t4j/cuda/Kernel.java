package dev.t4j.cuda;

/** Every kernel t4j launches, by its name in kernels.ptx (a test checks that the shipped PTX has each one). */
enum Kernel {
    COPY_BYTES1, COPY_BYTES2, COPY_BYTES4, COPY_BYTES8, COPY_CONVERT, FILL,
    UNARY_F32, UNARY_F64, UNARY_CONTIGUOUS_F32, BINARY_F32, BINARY_F64, WHERE_SELECT,
    REDUCE_THREAD_F32, REDUCE_THREAD_F64, REDUCE_BLOCK_F32, REDUCE_BLOCK_F64,
    SOFTMAX_F32, SOFTMAX_F64, LAYER_NORM_F32, LAYER_NORM_F64, RMS_NORM_F32, RMS_NORM_F64,
    CROSS_ENTROPY_F32, CROSS_ENTROPY_F64, CROSS_ENTROPY_BACKWARD_F32, CROSS_ENTROPY_BACKWARD_F64,
    ADAMW_F32, INDEX_SELECT, INDEX_ADD, GATHER, SCATTER_ADD;

    /** The PTX entry name. */
    String symbol() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
