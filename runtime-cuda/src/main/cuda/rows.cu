// Kernels over the rows of a contiguous [rows, c] tensor, one block per row: softmax, layer and RMS norm,
// cross-entropy and its gradient. Pointers arrive already advanced to the tensors' first element.
#include "common.cuh"

template <typename T>
__device__ void softmax_row(const T* x, T* out, long long rows, int c, int log_softmax) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * c;
        T* orow = out + r * c;
        T m = (T) -INFINITY;
        for (int i = threadIdx.x; i < c; i += blockDim.x) m = fmax(m, xr[i]);
        m = block_max<T>(m);
        T s = 0;
        for (int i = threadIdx.x; i < c; i += blockDim.x) s += exp(xr[i] - m);
        s = block_sum<T>(s);
        T log_s = log(s);
        for (int i = threadIdx.x; i < c; i += blockDim.x) {
            T z = xr[i] - m;
            orow[i] = log_softmax ? z - log_s : exp(z) / s;
        }
    }
}

template <typename T>
__device__ void layer_norm_row(const T* x, const void* w, int w_dt, long long w_stride, const void* b, int b_dt,
                               long long b_stride, double eps, T* out, T* mean, T* rstd, long long rows, int c) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * c;
        T s = 0;
        for (int i = threadIdx.x; i < c; i += blockDim.x) s += xr[i];
        T mu = block_sum<T>(s) / c;
        T v = 0;
        for (int i = threadIdx.x; i < c; i += blockDim.x) { T d = xr[i] - mu; v += d * d; }
        T rs = (T) 1 / sqrt(block_sum<T>(v) / c + (T) eps);
        for (int i = threadIdx.x; i < c; i += blockDim.x) {
            T y = (xr[i] - mu) * rs;
            if (w) y *= load<T>(w, w_dt, i * w_stride);
            if (b) y += load<T>(b, b_dt, i * b_stride);
            out[r * c + i] = y;
        }
        if (threadIdx.x == 0) { mean[r] = mu; rstd[r] = rs; }
    }
}

template <typename T>
__device__ void rms_norm_row(const T* x, const void* w, int w_dt, long long w_stride, double eps, T* out, T* rstd,
                             long long rows, int c) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * c;
        T s = 0;
        for (int i = threadIdx.x; i < c; i += blockDim.x) s += xr[i] * xr[i];
        T rs = (T) 1 / sqrt(block_sum<T>(s) / c + (T) eps);
        for (int i = threadIdx.x; i < c; i += blockDim.x) {
            T y = xr[i] * rs;
            if (w) y *= load<T>(w, w_dt, i * w_stride);
            out[r * c + i] = y;
        }
        if (threadIdx.x == 0) rstd[r] = rs;
    }
}

template <typename T>
__device__ void cross_entropy_row(const T* logits, const void* targets, int t_dt, long long ignore, T* loss, T* lse_out,
                                  long long rows, int c) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = logits + r * c;
        T m = (T) -INFINITY;
        for (int i = threadIdx.x; i < c; i += blockDim.x) m = fmax(m, xr[i]);
        m = block_max<T>(m);
        T s = 0;
        for (int i = threadIdx.x; i < c; i += blockDim.x) s += exp(xr[i] - m);
        T lse = m + log(block_sum<T>(s));
        if (threadIdx.x == 0) {
            long long t = load_index(targets, t_dt, r);
            loss[r] = t == ignore ? (T) 0 : lse - xr[t];
            lse_out[r] = lse;
        }
    }
}

template <typename T>
__device__ void cross_entropy_backward_row(const T* logits, const void* targets, int t_dt, const T* lse,
                                           long long ignore, double scale, T* grad, long long rows, int c) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        long long t = load_index(targets, t_dt, r);
        const T* xr = logits + r * c;
        T* gr = grad + r * c;
        T l = lse[r];
        for (int i = threadIdx.x; i < c; i += blockDim.x) {
            gr[i] = t == ignore ? (T) 0 : (exp(xr[i] - l) - (i == t ? (T) 1 : (T) 0)) * (T) scale;
        }
    }
}

#define ROW_KERNELS(SUFFIX, T)                                                                                     \
    extern "C" __global__ void softmax_##SUFFIX(const T* x, T* out, long long rows, int c, int log_softmax) {      \
        softmax_row<T>(x, out, rows, c, log_softmax);                                                              \
    }                                                                                                              \
    extern "C" __global__ void layer_norm_##SUFFIX(const T* x, const void* w, int w_dt, long long w_stride,        \
            const void* b, int b_dt, long long b_stride, double eps, T* out, T* mean, T* rstd, long long rows,     \
            int c) {                                                                                               \
        layer_norm_row<T>(x, w, w_dt, w_stride, b, b_dt, b_stride, eps, out, mean, rstd, rows, c);                 \
    }                                                                                                              \
    extern "C" __global__ void rms_norm_##SUFFIX(const T* x, const void* w, int w_dt, long long w_stride,          \
            double eps, T* out, T* rstd, long long rows, int c) {                                                  \
        rms_norm_row<T>(x, w, w_dt, w_stride, eps, out, rstd, rows, c);                                            \
    }                                                                                                              \
    extern "C" __global__ void cross_entropy_##SUFFIX(const T* logits, const void* targets, int t_dt,              \
            long long ignore, T* loss, T* lse, long long rows, int c) {                                            \
        cross_entropy_row<T>(logits, targets, t_dt, ignore, loss, lse, rows, c);                                   \
    }                                                                                                              \
    extern "C" __global__ void cross_entropy_backward_##SUFFIX(const T* logits, const void* targets, int t_dt,     \
            const T* lse, long long ignore, double scale, T* grad, long long rows, int c) {                        \
        cross_entropy_backward_row<T>(logits, targets, t_dt, lse, ignore, scale, grad, rows, c);                   \
    }
ROW_KERNELS(f32, float)
ROW_KERNELS(f64, double)

// Layer norm's input gradient, one block per row: dx = (g w - mean(g w) - xhat mean(g w xhat)) rstd; RMS norm's
// when mean is null (xhat = x rstd, and no mean(g w) term).
extern "C" __global__ void layer_norm_backward_f32(const float* x, const float* g, const void* w, int w_dt,
                                                   long long w_stride, const float* mean, const float* rstd, float* dx,
                                                   long long rows, int c) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * c;
        const float* gr = g + r * c;
        float mu = mean ? mean[r] : 0.f, rs = rstd[r];
        float a = 0.f, b = 0.f;
        for (int i = threadIdx.x; i < c; i += blockDim.x) {
            float gw = w ? gr[i] * load<float>(w, w_dt, i * w_stride) : gr[i];
            a += gw;
            b += gw * (xr[i] - mu) * rs;
        }
        a = mean ? block_sum<float>(a) / c : 0.f; // mean is the same for every thread: no divergent barrier
        b = block_sum<float>(b) / c;
        for (int i = threadIdx.x; i < c; i += blockDim.x) {
            float gw = w ? gr[i] * load<float>(w, w_dt, i * w_stride) : gr[i];
            dx[r * c + i] = (gw - a - (xr[i] - mu) * rs * b) * rs;
        }
    }
}

// Layer (or, with a null mean, RMS) norm's weight and bias gradients, dweight = sum g xhat and dbias = sum g over the
// rows, in `parts` slices of the rows (see reduce_sum_parts_f32): thread t sums slice t / c of column t % c into
// dw[t] and db[t] ([parts, c] each, either may be null); sum_parts_f32 adds the slices.
extern "C" __global__ void layer_norm_param_grads_f32(const float* x, const float* g, const float* mean,
                                                      const float* rstd, float* dw, float* db, long long rows, int c,
                                                      long long parts) {
    long long chunk = (rows + parts - 1) / parts;
    FOR_EACH(t, (long long) c * parts) {
        long long j = t % c, p = t / c;
        long long end = (p + 1) * chunk < rows ? (p + 1) * chunk : rows;
        float sw = 0.f, sb = 0.f;
        for (long long r = p * chunk; r < end; r++) {
            float gv = g[r * c + j];
            sw += gv * (x[r * c + j] - (mean ? mean[r] : 0.f)) * rstd[r];
            sb += gv;
        }
        if (dw) dw[t] = sw;
        if (db) db[t] = sb;
    }
}

// torch.optim.AdamW on one contiguous float32 parameter, in one pass.
extern "C" __global__ void adamw_f32(long long n, float* p, const float* g, float* m, float* v, float lr, float beta1,
                                     float beta2, float eps, float decay, float bc1, float bc2) {
    FOR_EACH(i, n) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1 - beta1) * gi;
        float vi = beta2 * v[i] + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float pi = p[i];
        if (decay > 0) pi *= 1 - lr * decay;
        p[i] = pi - lr / bc1 * mi / (sqrt(vi / bc2) + eps);
    }
}

// dev.t4j.backend.DropoutMask's mask, out = x * (0 or keep) for x seen as rows of `cols`: the row's key mixes the row
// with the seed (SplitMix64's finaliser), the column's bits hash the column under it (MurmurHash3's 32-bit
// finaliser), and a value is kept when the top 24 bits reach the threshold. The same bits as the CPU kernel.
__device__ __forceinline__ unsigned int dropout_row_key(long long seed, long long row) {
    unsigned long long z = (unsigned long long) seed + (unsigned long long) (row + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (unsigned int) (z ^ (z >> 31));
}

__device__ __forceinline__ unsigned int dropout_bits(unsigned int key, unsigned int col) {
    unsigned int h = key ^ (col * 0x9E3779B9u);
    h = (h ^ (h >> 16)) * 0x85EBCA6Bu;
    h = (h ^ (h >> 13)) * 0xC2B2AE35u;
    return h ^ (h >> 16);
}

extern "C" __global__ void dropout_f32(long long n, long long cols, const float* x, float* out, long long seed,
                                       int threshold, float keep) {
    FOR_EACH(i, n) {
        long long row = i / cols;
        unsigned int bits = dropout_bits(dropout_row_key(seed, row), (unsigned int) (i - row * cols));
        out[i] = (int) (bits >> 8) >= threshold ? x[i] * keep : 0.0f;
    }
}
