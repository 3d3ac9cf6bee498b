// Shared by every t4j kernel: element types, strided addressing and the block reductions.
//
// Every tensor arrives as (pointer, dtype, strides in elements, offset), exactly as the Java Backend SPI passes it,
// so views (transposed, sliced, broadcast with stride 0) need no copy before a kernel. Kernels compute in float
// for float32 and the 16-bit formats, in double when float64 or int64 values are involved; loads and stores convert.
#pragma once
#include <cuda_fp16.h>
#include <stdint.h>

// The ordinals of dev.t4j.tensor.DType.
enum DType { F32 = 0, F64 = 1, F16 = 2, BF16 = 3, I32 = 4, I64 = 5, BOOL = 6 };

#define MAX_DIMS 8
#define MAX_OPERANDS 4

// One iteration space (shape) and up to four operands' strides and offsets over it. Filled by dev.t4j.cuda.Layout,
// which must keep the same field order and sizes (336 bytes).
struct Layout {
    int rank;
    int pad;
    long long numel;
    int shape[MAX_DIMS];
    long long stride[MAX_OPERANDS][MAX_DIMS];
    long long offset[MAX_OPERANDS];
};

// Storage index of element i (row-major over the shape) for operands 0..n-1. coord_dim, if >= 0, also returns the
// coordinate along that dimension (the indexing kernels need it).
template <int N>
__device__ __forceinline__ void offsets(const Layout& L, long long i, long long* o, int coord_dim, long long* coord) {
#pragma unroll
    for (int k = 0; k < N; k++) o[k] = L.offset[k];
    for (int d = L.rank - 1; d >= 0; d--) {
        long long s = L.shape[d];
        long long c = i % s;
        i /= s;
        if (d == coord_dim) *coord = c;
#pragma unroll
        for (int k = 0; k < N; k++) o[k] += c * L.stride[k][d];
    }
}

__device__ __forceinline__ float bf16_to_float(uint16_t raw) { return __uint_as_float(((uint32_t) raw) << 16); }

// Round to nearest even, NaN kept quiet: the same rule as DType.floatToBf16 on the Java side.
__device__ __forceinline__ uint16_t float_to_bf16(float f) {
    uint32_t bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t) ((bits >> 16) | 0x40);
    uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t) ((bits + rounding) >> 16);
}

template <typename T>
__device__ __forceinline__ T load(const void* p, int dt, long long i) {
    switch (dt) {
        case F32: return (T) ((const float*) p)[i];
        case F64: return (T) ((const double*) p)[i];
        case F16: return (T) __half2float(((const __half*) p)[i]);
        case BF16: return (T) bf16_to_float(((const uint16_t*) p)[i]);
        case I32: return (T) ((const int*) p)[i];
        case I64: return (T) ((const long long*) p)[i];
        default: return (T) (((const unsigned char*) p)[i] != 0);
    }
}

__device__ __forceinline__ long long load_index(const void* p, int dt, long long i) {
    return dt == I32 ? (long long) ((const int*) p)[i] : ((const long long*) p)[i];
}

template <typename T>
__device__ __forceinline__ void store(void* p, int dt, long long i, T v) {
    switch (dt) {
        case F32: ((float*) p)[i] = (float) v; break;
        case F64: ((double*) p)[i] = (double) v; break;
        case F16: ((__half*) p)[i] = __float2half_rn((float) v); break;
        case BF16: ((uint16_t*) p)[i] = float_to_bf16((float) v); break;
        case I32: ((int*) p)[i] = (int) v; break;
        case I64: ((long long*) p)[i] = (long long) v; break;
        default: ((unsigned char*) p)[i] = v != (T) 0 ? 1 : 0; break;
    }
}

// Grid-stride loop over n elements.
#define FOR_EACH(i, n) for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
                            i += (long long) blockDim.x * gridDim.x)

// Sum and max over a block of blockDim.x threads (a multiple of 32, at most 1024). Every thread gets the result.
template <typename T>
__device__ T block_sum(T v) {
    __shared__ T partial[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    int warps = blockDim.x >> 5;
    v = lane < warps ? partial[lane] : (T) 0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

template <typename T>
__device__ T block_max(T v) {
    __shared__ T partial[32];
    for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    int warps = blockDim.x >> 5;
    v = lane < warps ? partial[lane] : (T) -INFINITY;
    for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
