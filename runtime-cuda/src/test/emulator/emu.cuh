// Runs t4j's CUDA kernels on the CPU, for tests on machines without a GPU: the kernel sources compile as C++ with
// these definitions, each block's threads are real threads (so __syncthreads and warp shuffles behave), blocks run
// one after another (so __shared__ arrays can be function statics). Slow, and only as exact as the C++ math library,
// but it executes the same kernel code the GPU does.
#pragma once
#include <barrier>
#include <cmath>
#include <cstring>
#include <mutex>

// the float overloads the CUDA math headers provide
using std::cos;
using std::erf;
using std::exp;
using std::fabs;
using std::fmax;
using std::fmin;
using std::isnan;
using std::log;
using std::pow;
using std::sin;
using std::sqrt;
using std::tanh;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
    unsigned x = 0, y = 0, z = 0;
};

extern thread_local dim3 threadIdx;
extern thread_local dim3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;

struct EmuBlock {
    std::barrier<>* block;
    std::barrier<>* warps[32];
    unsigned char (*slots)[8];
};
extern thread_local EmuBlock emu_block;
extern std::mutex emu_atomics;

inline void __syncthreads() { emu_block.block->arrive_and_wait(); }

template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int lane_mask) {
    unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    std::memcpy(emu_block.slots[threadIdx.x], &v, sizeof(T));
    emu_block.warps[warp]->arrive_and_wait();
    T r;
    std::memcpy(&r, emu_block.slots[(warp << 5) | (lane ^ lane_mask)], sizeof(T));
    emu_block.warps[warp]->arrive_and_wait();
    return r;
}

template <typename T>
inline T atomicAdd(T* p, T v) {
    std::lock_guard<std::mutex> g(emu_atomics);
    T old = *p;
    *p = old + v;
    return old;
}

inline float __uint_as_float(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline unsigned __float_as_uint(float f) {
    unsigned u;
    std::memcpy(&u, &f, 4);
    return u;
}
