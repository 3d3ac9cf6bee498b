// Reductions along one axis: sum, max, min, argmax, argmin (first index on ties, NaN wins as in the reference).
#include "common.cuh"

namespace Reduce { enum Op { SUM, MAX, MIN, ARGMAX, ARGMIN }; }
using Reduce::SUM; using Reduce::ARGMAX; using Reduce::ARGMIN;

template <typename T>
struct Acc {
    T v;
    long long at;
};

template <typename T>
__device__ __forceinline__ Acc<T> start(int op) {
    Acc<T> a;
    a.v = op == SUM ? (T) 0 : (op == Reduce::MAX || op == ARGMAX) ? (T) -INFINITY : (T) INFINITY;
    a.at = 0;
    return a;
}

// Folds value v at position i into a; positions arrive in increasing order within one thread.
template <typename T>
__device__ __forceinline__ void fold(int op, Acc<T>& a, T v, long long i) {
    if (op == SUM) {
        a.v += v;
    } else if (op == Reduce::MAX || op == ARGMAX) {
        if (v > a.v || (isnan(v) && !isnan(a.v))) { a.v = v; a.at = i; }
    } else {
        if (v < a.v || (isnan(v) && !isnan(a.v))) { a.v = v; a.at = i; }
    }
}

// Merges b (covering later or interleaved positions) into a, keeping the first index on ties.
template <typename T>
__device__ __forceinline__ void merge(int op, Acc<T>& a, Acc<T> b) {
    if (op == SUM) { a.v += b.v; return; }
    bool bigger = op == Reduce::MAX || op == ARGMAX;
    bool an = isnan(a.v), bn = isnan(b.v);
    bool take;
    if (an || bn) take = bn && (!an || b.at < a.at);
    else if (b.v == a.v) take = b.at < a.at;
    else take = bigger ? b.v > a.v : b.v < a.v;
    if (take) a = b;
}

template <typename T>
__device__ __forceinline__ void finish(int op, Acc<T> a, void* out, int out_dt, long long o) {
    if (op == ARGMAX || op == ARGMIN) store<long long>(out, out_dt, o, a.at);
    else store<T>(out, out_dt, o, a.v);
}

// One thread per output element: for axes with a large stride (reducing over rows), neighbouring threads read
// neighbouring elements. Layout operands: 0 = out, 1 = x, over out's shape.
template <typename T>
__device__ void reduce_thread(Layout L, int op, const void* x, int x_dt, long long n, long long stride, void* out,
                              int out_dt) {
    FOR_EACH(i, L.numel) {
        long long o[2];
        offsets<2>(L, i, o, -1, nullptr);
        Acc<T> a = start<T>(op);
        for (long long j = 0; j < n; j++) fold<T>(op, a, load<T>(x, x_dt, o[1] + j * stride), j);
        finish<T>(op, a, out, out_dt, o[0]);
    }
}

// One block per output element: for a contiguous axis, the block's threads stride through it together.
template <typename T>
__device__ void reduce_block(Layout L, int op, const void* x, int x_dt, long long n, long long stride, void* out,
                             int out_dt) {
    __shared__ T vals[1024];
    __shared__ long long ats[1024];
    for (long long row = blockIdx.x; row < L.numel; row += gridDim.x) {
        long long o[2];
        offsets<2>(L, row, o, -1, nullptr);
        Acc<T> a = start<T>(op);
        for (long long j = threadIdx.x; j < n; j += blockDim.x) fold<T>(op, a, load<T>(x, x_dt, o[1] + j * stride), j);
        vals[threadIdx.x] = a.v;
        ats[threadIdx.x] = a.at;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) {
                Acc<T> mine = {vals[threadIdx.x], ats[threadIdx.x]};
                Acc<T> other = {vals[threadIdx.x + s], ats[threadIdx.x + s]};
                merge<T>(op, mine, other);
                vals[threadIdx.x] = mine.v;
                ats[threadIdx.x] = mine.at;
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) finish<T>(op, Acc<T>{vals[0], ats[0]}, out, out_dt, o[0]);
        __syncthreads();
    }
}

#define REDUCE(NAME, IMPL, T)                                                                                      \
    extern "C" __global__ void NAME(Layout L, int op, const void* x, int x_dt, long long n, long long stride,    \
                                    void* out, int out_dt) {                                                       \
        IMPL<T>(L, op, x, x_dt, n, stride, out, out_dt);                                                           \
    }
REDUCE(reduce_thread_f32, reduce_thread, float)
REDUCE(reduce_thread_f64, reduce_thread, double)
REDUCE(reduce_block_f32, reduce_block, float)
REDUCE(reduce_block_f64, reduce_block, double)

// A sum along a strided axis with few outputs (a bias gradient: [rows, c] summed over rows) in `parts` slices of the
// axis, so that the GPU has outputs x parts threads rather than one per output: thread t sums slice t / numel of
// output t % numel (neighbouring threads still read neighbouring elements) into partial[t]; sum_parts_f32 then adds
// the slices in order, so the result does not depend on scheduling.
extern "C" __global__ void reduce_sum_parts_f32(Layout L, const void* x, int x_dt, long long n, long long stride,
                                                long long parts, float* partial) {
    long long chunk = (n + parts - 1) / parts;
    FOR_EACH(t, L.numel * parts) {
        long long i = t % L.numel, p = t / L.numel;
        long long o[2];
        offsets<2>(L, i, o, -1, nullptr);
        long long end = (p + 1) * chunk < n ? (p + 1) * chunk : n;
        float s = 0.f;
        for (long long j = p * chunk; j < end; j++) s += load<float>(x, x_dt, o[1] + j * stride);
        partial[t] = s;
    }
}

// out (operand 0 of L, of any type and strides) = the sum over p of partial[p * numel + i].
extern "C" __global__ void sum_parts_f32(Layout L, long long parts, const float* partial, void* out, int out_dt) {
    FOR_EACH(i, L.numel) {
        long long o[1];
        offsets<1>(L, i, o, -1, nullptr);
        float s = 0.f;
        for (long long p = 0; p < parts; p++) s += partial[p * L.numel + i];
        store<float>(out, out_dt, o[0], s);
    }
}
