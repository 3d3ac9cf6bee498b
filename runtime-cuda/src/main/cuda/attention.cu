// Attention without the [Tq, Tk] scores in memory: out = softmax(q k^T * scale + bias) v, streamed over the keys with
// an online softmax (flash-attention's recurrence), and its gradients recomputed from the saved log-sum-exp.
//
// The backward pass recomputes a probability as exp(s - shift) * factor: shift the row's log-sum-exp and factor 1,
// unless the log-sum-exp is past a million. There exp(s - lse) loses the row's sum (a row whose every key is masked
// with -3.4e38 has lse = max + log(keys) rounded back to max: every probability would be 1 instead of 1 / keys), so
// the dq kernels first take the row's own maximum and sum over its keys, as the forward pass had them, and write
// each row's shift and factor for the dk/dv kernels (as the CPU's FusedAttention does).
#define LSE_USABLE 1e6f

// A row's running maximum and sum of exp(s - maximum) over its scores: the shift and factor of an unusable lse.
struct RowStats {
    float m = -INFINITY, l = 0.f;
    __device__ __forceinline__ void add(float x) {
        float mn = fmaxf(m, x);
        if (mn == -INFINITY) return; // nothing but masked keys so far
        l = l * expf(m - mn) + expf(x - mn);
        m = mn;
    }
    __device__ __forceinline__ float shift() const { return m == -INFINITY ? 0.f : m; }
    __device__ __forceinline__ float factor() const { return 1.f / l; }
};
//
// The warp kernels, for heads over 64 (smaller ones take the tiled kernels at the end): one warp per row, a query
// row in the forward pass and for dq, a key row for dk and dv (so no atomics, and the result does not depend on
// scheduling). A lane holds head dimensions lane, lane + 32, ... (head size at most 32 * MAX_D_PER_LANE). The keys
// are read from global memory (L2-resident for one head): on an H200 these took 70 % of a GPT-2 small training step.
#include "common.cuh"

#define MAX_D_PER_LANE 8

// Sizes and strides, packed by dev.t4j.cuda.CudaBackend#attentionDims in this order.
struct AttnDims {
    long long b, h, tq, tk, d, has_bias;
    long long q[5], k[5], v[5], bias[5], go[5]; // offset, then strides of batch, head, position, dim
};

__device__ __forceinline__ long long at(const long long* view, long long b, long long h, long long t, long long d) {
    return view[0] + b * view[1] + h * view[2] + t * view[3] + d * view[4];
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// score(i, j) = q_i . k_j * scale + bias(i, j), identical in every lane; qr holds this lane's part of q_i.
__device__ __forceinline__ float score(const AttnDims& A, const float* qr, const float* k, const void* bias,
                                       int bias_dt, long long b, long long h, long long i, long long j, float scale) {
    int lane = threadIdx.x & 31;
    float s = 0;
    for (int c = 0; c < MAX_D_PER_LANE; c++) {
        long long d = lane + 32 * c;
        if (d < A.d) s += qr[c] * k[at(A.k, b, h, j, d)];
    }
    s = warp_sum(s) * scale;
    if (A.has_bias) s += load<float>(bias, bias_dt, at(A.bias, b, h, i, j));
    return s;
}

#define FOR_EACH_WARP(row, rows)                                                                                  \
    for (long long row = ((long long) blockIdx.x * blockDim.x + threadIdx.x) >> 5; row < (rows);                  \
         row += ((long long) gridDim.x * blockDim.x) >> 5)

// out [b, h, tq, d] and lse [b, h, tq], contiguous.
extern "C" __global__ void attention_forward_f32(AttnDims A, double scale_d, const float* q, const float* k,
                                                 const float* v, const void* bias, int bias_dt, float* out, float* lse) {
    int lane = threadIdx.x & 31;
    float scale = (float) scale_d;
    FOR_EACH_WARP(row, A.b * A.h * A.tq) {
        long long i = row % A.tq, h = row / A.tq % A.h, b = row / A.tq / A.h;
        float qr[MAX_D_PER_LANE], acc[MAX_D_PER_LANE];
        for (int c = 0; c < MAX_D_PER_LANE; c++) {
            long long d = lane + 32 * c;
            qr[c] = d < A.d ? q[at(A.q, b, h, i, d)] : 0.f;
            acc[c] = 0.f;
        }
        float m = -INFINITY, l = 0.f;
        for (long long j = 0; j < A.tk; j++) {
            float s = score(A, qr, k, bias, bias_dt, b, h, i, j, scale);
            float mn = fmaxf(m, s);
            if (mn == -INFINITY) continue; // nothing but masked keys so far
            float corr = expf(m - mn);
            float p = expf(s - mn);
            l = l * corr + p;
            for (int c = 0; c < MAX_D_PER_LANE; c++) {
                long long d = lane + 32 * c;
                if (d < A.d) acc[c] = acc[c] * corr + p * v[at(A.v, b, h, j, d)];
            }
            m = mn;
        }
        for (int c = 0; c < MAX_D_PER_LANE; c++) {
            long long d = lane + 32 * c;
            if (d < A.d) out[row * A.d + d] = acc[c] / l;
        }
        if (lane == 0) lse[row] = m + logf(l);
    }
}

// dq [b, h, tq, d] (contiguous) from the upstream gradient go, out and lse; also writes delta[row] = go_i . out_i,
// which the dk/dv kernel reads.
extern "C" __global__ void attention_backward_dq_f32(AttnDims A, double scale_d, const float* q, const float* k,
                                                     const float* v, const void* bias, int bias_dt, const float* out,
                                                     const float* lse, const float* go, float* dq, float* delta,
                                                     float* shift, float* factor) {
    int lane = threadIdx.x & 31;
    float scale = (float) scale_d;
    FOR_EACH_WARP(row, A.b * A.h * A.tq) {
        long long i = row % A.tq, h = row / A.tq % A.h, b = row / A.tq / A.h;
        float qr[MAX_D_PER_LANE], gr[MAX_D_PER_LANE], acc[MAX_D_PER_LANE];
        float dd = 0.f;
        for (int c = 0; c < MAX_D_PER_LANE; c++) {
            long long d = lane + 32 * c;
            qr[c] = d < A.d ? q[at(A.q, b, h, i, d)] : 0.f;
            gr[c] = d < A.d ? go[at(A.go, b, h, i, d)] : 0.f;
            if (d < A.d) dd += gr[c] * out[row * A.d + d];
            acc[c] = 0.f;
        }
        dd = warp_sum(dd);
        float sh = lse[row], f = 1.f;
        if (fabsf(sh) > LSE_USABLE) { // the row's own maximum and sum (the branch is the whole warp's)
            RowStats st;
            for (long long j = 0; j < A.tk; j++) st.add(score(A, qr, k, bias, bias_dt, b, h, i, j, scale));
            sh = st.shift();
            f = st.factor();
        }
        for (long long j = 0; j < A.tk; j++) {
            float p = expf(score(A, qr, k, bias, bias_dt, b, h, i, j, scale) - sh) * f;
            float dp = 0.f;
            for (int c = 0; c < MAX_D_PER_LANE; c++) {
                long long d = lane + 32 * c;
                if (d < A.d) dp += gr[c] * v[at(A.v, b, h, j, d)];
            }
            float ds = p * (warp_sum(dp) - dd) * scale;
            for (int c = 0; c < MAX_D_PER_LANE; c++) {
                long long d = lane + 32 * c;
                if (d < A.d) acc[c] += ds * k[at(A.k, b, h, j, d)];
            }
        }
        for (int c = 0; c < MAX_D_PER_LANE; c++) {
            long long d = lane + 32 * c;
            if (d < A.d) dq[row * A.d + d] = acc[c];
        }
        if (lane == 0) {
            delta[row] = dd;
            shift[row] = sh;
            factor[row] = f;
        }
    }
}

// dk and dv [b, h, tk, d] (contiguous), one warp per key row, summing over the query rows.
extern "C" __global__ void attention_backward_dkv_f32(AttnDims A, double scale_d, const float* q, const float* k,
                                                      const float* v, const void* bias, int bias_dt,
                                                      const float* shift, const float* factor, const float* go,
                                                      const float* delta, float* dk, float* dv) {
    int lane = threadIdx.x & 31;
    float scale = (float) scale_d;
    FOR_EACH_WARP(row, A.b * A.h * A.tk) {
        long long j = row % A.tk, h = row / A.tk % A.h, b = row / A.tk / A.h;
        float kr[MAX_D_PER_LANE], vr[MAX_D_PER_LANE], gk[MAX_D_PER_LANE], gv[MAX_D_PER_LANE];
        for (int c = 0; c < MAX_D_PER_LANE; c++) {
            long long d = lane + 32 * c;
            kr[c] = d < A.d ? k[at(A.k, b, h, j, d)] : 0.f;
            vr[c] = d < A.d ? v[at(A.v, b, h, j, d)] : 0.f;
            gk[c] = 0.f;
            gv[c] = 0.f;
        }
        long long rows0 = (b * A.h + h) * A.tq;
        for (long long i = 0; i < A.tq; i++) {
            float s = 0.f, dp = 0.f;
            float qi[MAX_D_PER_LANE], gi[MAX_D_PER_LANE];
            for (int c = 0; c < MAX_D_PER_LANE; c++) {
                long long d = lane + 32 * c;
                qi[c] = d < A.d ? q[at(A.q, b, h, i, d)] : 0.f;
                gi[c] = d < A.d ? go[at(A.go, b, h, i, d)] : 0.f;
                s += qi[c] * kr[c];
                dp += gi[c] * vr[c];
            }
            s = warp_sum(s) * scale;
            if (A.has_bias) s += load<float>(bias, bias_dt, at(A.bias, b, h, i, j));
            float p = expf(s - shift[rows0 + i]) * factor[rows0 + i];
            float ds = p * (warp_sum(dp) - delta[rows0 + i]) * scale;
            for (int c = 0; c < MAX_D_PER_LANE; c++) {
                gv[c] += p * gi[c];
                gk[c] += ds * qi[c];
            }
        }
        for (int c = 0; c < MAX_D_PER_LANE; c++) {
            long long d = lane + 32 * c;
            if (d < A.d) {
                dk[row * A.d + d] = gk[c];
                dv[row * A.d + d] = gv[c];
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------------------------
// The tiled kernels, for head sizes up to TD (64: GPT-2 of every size, BERT, T5-small and -base). One thread per
// query (or key) row, TILE rows per block of TILE threads, all of one (batch, head); the other side's rows pass
// through shared memory a tile at a time, so each key and value is read from global memory once per block instead of
// once per row, and a row's dot products need no shuffles (every thread reads the same shared element: a broadcast).
// The scale is folded into q as it is loaded, in all three kernels alike. Rows shorter than TD are zero-padded.
// Launched with exactly TILE threads per block (a thread's row is its index in the block); the emulator runs blocks
// of 64 threads, so it executes these as the GPU does.
#define TILE 64
#define TD 64
#define BK 32 // keys per shared tile, forward and dq
#define BQ 16 // queries per shared tile, dk/dv

__device__ __forceinline__ long long rows_up(long long n, long long t) { return (n + t - 1) / t; }
__device__ __forceinline__ int upto(long long n, long long from, int tile) {
    return n - from < tile ? (int) (n - from) : tile;
}

// A block's tiles: `tiles` per (batch, head) of `rows` rows; each thread's (batch, head, row) in the current one.
struct TileRow {
    long long b, h, r;
};
#define FOR_EACH_TILE(tile, rows)                                                                                   \
    for (long long tiles = rows_up(rows, TILE), tile = blockIdx.x; tile < A.b * A.h * tiles; tile += gridDim.x)
__device__ __forceinline__ TileRow tile_row(const AttnDims& A, long long tile, long long tiles) {
    return TileRow{tile / tiles / A.h, tile / tiles % A.h, tile % tiles * TILE + threadIdx.x};
}

// Keys and values k0 .. k0 + nk of (b, h) into shared tiles of BK rows, zero-padded; the whole block takes part.
__device__ __forceinline__ void load_kv(const AttnDims& A, const float* k, const float* v, long long b, long long h,
                                        long long k0, int nk, float (*Ks)[TD], float (*Vs)[TD]) {
    for (int e = threadIdx.x; e < BK * TD; e += blockDim.x) {
        int j = e / TD, c = e % TD;
        bool in = j < nk && c < A.d;
        Ks[j][c] = in ? k[at(A.k, b, h, k0 + j, c)] : 0.f;
        Vs[j][c] = in ? v[at(A.v, b, h, k0 + j, c)] : 0.f;
    }
}

// out [b, h, tq, d] and lse [b, h, tq], contiguous; launched with TILE threads per block.
extern "C" __global__ void attention_tiled_forward_f32(AttnDims A, double scale_d, const float* q, const float* k,
                                                       const float* v, const void* bias, int bias_dt, float* out,
                                                       float* lse) {
    __shared__ float Ks[BK][TD];
    __shared__ float Vs[BK][TD];
    float scale = (float) scale_d;
    FOR_EACH_TILE(tile, A.tq) {
        TileRow rw = tile_row(A, tile, tiles);
        long long b = rw.b, h = rw.h, i = rw.r;
        bool valid = i < A.tq;
        float qr[TD], acc[TD];
#pragma unroll
        for (int c = 0; c < TD; c++) {
            qr[c] = valid && c < A.d ? q[at(A.q, b, h, i, c)] * scale : 0.f;
            acc[c] = 0.f;
        }
        float m = -INFINITY, l = 0.f;
        for (long long k0 = 0; k0 < A.tk; k0 += BK) {
            int nk = upto(A.tk, k0, BK);
            __syncthreads(); // every thread is done with the previous tile
            load_kv(A, k, v, b, h, k0, nk, Ks, Vs);
            __syncthreads();
            if (!valid) continue;
            float s[BK];
            float mt = m;
#pragma unroll
            for (int j = 0; j < BK; j++) {
                float x = -INFINITY;
                if (j < nk) {
                    x = 0.f;
#pragma unroll
                    for (int c = 0; c < TD; c++) x += qr[c] * Ks[j][c];
                    if (A.has_bias) x += load<float>(bias, bias_dt, at(A.bias, b, h, i, k0 + j));
                }
                s[j] = x;
                mt = fmaxf(mt, x);
            }
            if (mt == -INFINITY) continue; // nothing but masked keys so far
            float corr = expf(m - mt);
            l *= corr;
#pragma unroll
            for (int c = 0; c < TD; c++) acc[c] *= corr;
#pragma unroll
            for (int j = 0; j < BK; j++) {
                if (j < nk) {
                    float p = expf(s[j] - mt);
                    l += p;
#pragma unroll
                    for (int c = 0; c < TD; c++) acc[c] += p * Vs[j][c];
                }
            }
            m = mt;
        }
        if (valid) {
            long long row = (b * A.h + h) * A.tq + i;
#pragma unroll
            for (int c = 0; c < TD; c++) if (c < A.d) out[row * A.d + c] = acc[c] / l; // constant indices: registers
            lse[row] = m + logf(l);
        }
    }
}

// dq [b, h, tq, d] and delta[row] = go_i . out_i (contiguous), one thread per query row; the row's upstream gradient
// sits in shared memory, transposed (thread t owns column t: no bank conflicts), to keep registers for q and dq.
extern "C" __global__ void attention_tiled_backward_dq_f32(AttnDims A, double scale_d, const float* q,
                                                           const float* k, const float* v, const void* bias,
                                                           int bias_dt, const float* out, const float* lse,
                                                           const float* go, float* dq, float* delta, float* shift,
                                                           float* factor) {
    __shared__ float Ks[BK][TD];
    __shared__ float Vs[BK][TD];
    __shared__ float Gt[TD][TILE];
    float scale = (float) scale_d;
    int t = threadIdx.x;
    FOR_EACH_TILE(tile, A.tq) {
        TileRow rw = tile_row(A, tile, tiles);
        long long b = rw.b, h = rw.h, i = rw.r;
        bool valid = i < A.tq;
        long long row = (b * A.h + h) * A.tq + i;
        float qr[TD], acc[TD];
        float dd = 0.f;
#pragma unroll
        for (int c = 0; c < TD; c++) {
            bool in = valid && c < A.d;
            qr[c] = in ? q[at(A.q, b, h, i, c)] * scale : 0.f;
            float g = in ? go[at(A.go, b, h, i, c)] : 0.f;
            Gt[c][t] = g;
            if (in) dd += g * out[row * A.d + c];
            acc[c] = 0.f;
        }
        float sh = valid ? lse[row] : 0.f, f = 1.f;
        if (fabsf(sh) > LSE_USABLE) { // the row's own maximum and sum, its keys read from global memory: rare rows
            RowStats st;
            for (long long j = 0; j < A.tk; j++) {
                float x = 0.f;
#pragma unroll
                for (int c = 0; c < TD; c++) x += c < A.d ? qr[c] * k[at(A.k, b, h, j, c)] : 0.f;
                if (A.has_bias) x += load<float>(bias, bias_dt, at(A.bias, b, h, i, j));
                st.add(x);
            }
            sh = st.shift();
            f = st.factor();
        }
        for (long long k0 = 0; k0 < A.tk; k0 += BK) {
            int nk = upto(A.tk, k0, BK);
            __syncthreads();
            load_kv(A, k, v, b, h, k0, nk, Ks, Vs);
            __syncthreads();
            if (!valid) continue;
            // read through volatile: hoisted into registers beside q and dq, the column would spill
            const volatile float* g = &Gt[0][t];
            for (int j = 0; j < nk; j++) {
                float s = 0.f, dp = 0.f;
#pragma unroll
                for (int c = 0; c < TD; c++) {
                    s += qr[c] * Ks[j][c];
                    dp += g[c * TILE] * Vs[j][c];
                }
                if (A.has_bias) s += load<float>(bias, bias_dt, at(A.bias, b, h, i, k0 + j));
                float ds = expf(s - sh) * f * (dp - dd) * scale;
#pragma unroll
                for (int c = 0; c < TD; c++) acc[c] += ds * Ks[j][c];
            }
        }
        if (valid) {
#pragma unroll
            for (int c = 0; c < TD; c++) if (c < A.d) dq[row * A.d + c] = acc[c];
            delta[row] = dd;
            shift[row] = sh;
            factor[row] = f;
        }
    }
}

// dk and dv [b, h, tk, d] (contiguous), one thread per key row summing over the query rows, which pass through shared
// memory BQ at a time with their shift, factor and delta; the block's own key and value rows sit in shared memory
// transposed.
extern "C" __global__ void attention_tiled_backward_dkv_f32(AttnDims A, double scale_d, const float* q,
                                                            const float* k, const float* v, const void* bias,
                                                            int bias_dt, const float* shift, const float* factor,
                                                            const float* go, const float* delta, float* dk,
                                                            float* dv) {
    __shared__ float Qs[BQ][TD];
    __shared__ float Gs[BQ][TD];
    __shared__ float Ls[BQ];
    __shared__ float Fs[BQ];
    __shared__ float Ds[BQ];
    __shared__ float Kt[TD][TILE];
    __shared__ float Vt[TD][TILE];
    float scale = (float) scale_d;
    int t = threadIdx.x;
    FOR_EACH_TILE(tile, A.tk) {
        TileRow rw = tile_row(A, tile, tiles);
        long long b = rw.b, h = rw.h, j = rw.r;
        bool valid = j < A.tk;
        float gk[TD], gv[TD];
#pragma unroll
        for (int c = 0; c < TD; c++) {
            bool in = valid && c < A.d;
            Kt[c][t] = in ? k[at(A.k, b, h, j, c)] : 0.f;
            Vt[c][t] = in ? v[at(A.v, b, h, j, c)] : 0.f;
            gk[c] = 0.f;
            gv[c] = 0.f;
        }
        long long rows0 = (b * A.h + h) * A.tq;
        for (long long i0 = 0; i0 < A.tq; i0 += BQ) {
            int nq = upto(A.tq, i0, BQ);
            __syncthreads();
            for (int e = t; e < BQ * TD; e += blockDim.x) {
                int r = e / TD, c = e % TD;
                bool in = r < nq && c < A.d;
                Qs[r][c] = in ? q[at(A.q, b, h, i0 + r, c)] * scale : 0.f;
                Gs[r][c] = in ? go[at(A.go, b, h, i0 + r, c)] : 0.f;
            }
            for (int r = t; r < BQ; r += blockDim.x) {
                Ls[r] = r < nq ? shift[rows0 + i0 + r] : 0.f;
                Fs[r] = r < nq ? factor[rows0 + i0 + r] : 0.f;
                Ds[r] = r < nq ? delta[rows0 + i0 + r] : 0.f;
            }
            __syncthreads();
            if (!valid) continue;
            // read through volatile: hoisted into registers beside dk and dv, the columns would spill
            const volatile float* kc = &Kt[0][t];
            const volatile float* vc = &Vt[0][t];
            for (int r = 0; r < nq; r++) {
                float s = 0.f, dp = 0.f;
#pragma unroll
                for (int c = 0; c < TD; c++) {
                    s += Qs[r][c] * kc[c * TILE];
                    dp += Gs[r][c] * vc[c * TILE];
                }
                if (A.has_bias) s += load<float>(bias, bias_dt, at(A.bias, b, h, i0 + r, j));
                float p = expf(s - Ls[r]) * Fs[r];
                float ds = p * (dp - Ds[r]);
                const volatile float* qv = Qs[r]; // read again, not kept from the dot products above: registers
                const volatile float* gvr = Gs[r];
#pragma unroll
                for (int c = 0; c < TD; c++) {
                    gv[c] += p * gvr[c];
                    gk[c] += ds * qv[c];
                }
            }
        }
        if (valid) {
            long long row = (b * A.h + h) * A.tk + j;
#pragma unroll
            for (int c = 0; c < TD; c++) {
                if (c < A.d) {
                    dk[row * A.d + c] = gk[c];
                    dv[row * A.d + c] = gv[c];
                }
            }
        }
    }
}
