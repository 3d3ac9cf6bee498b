// The one translation unit compiled to kernels.ptx: every t4j CUDA kernel, loaded as one module.
#include "elementwise.cu"
#include "reduce.cu"
#include "rows.cu"
#include "indexing.cu"
#include "attention.cu"
