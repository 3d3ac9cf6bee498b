// Attention without the [Tq, Tk] scores in memory: out = softmax(q k^T * scale + bias) v, streamed over the keys with
// an online softmax (flash-attention's recurrence), and its gradients recomputed from the saved log-sum-exp.
//
// One warp per row: a query row in the forward pass and for dq, a key row for dk and dv (so no atomics, and the
// result does not depend on scheduling). A lane holds head dimensions lane, lane + 32, ... (head size at most
// 32 * MAX_D_PER_LANE). The keys are read from global memory (L2-resident for one head) rather than staged in shared
// memory: simple first, measured later.
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
                                                     const float* lse, const float* go, float* dq, float* delta) {
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
        float li = lse[row];
        for (long long j = 0; j < A.tk; j++) {
            float p = expf(score(A, qr, k, bias, bias_dt, b, h, i, j, scale) - li);
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
        if (lane == 0) delta[row] = dd;
    }
}

// dk and dv [b, h, tk, d] (contiguous), one warp per key row, summing over the query rows.
extern "C" __global__ void attention_backward_dkv_f32(AttnDims A, double scale_d, const float* q, const float* k,
                                                      const float* v, const void* bias, int bias_dt, const float* lse,
                                                      const float* go, const float* delta, float* dk, float* dv) {
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
            float p = expf(s - lse[rows0 + i]);
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
