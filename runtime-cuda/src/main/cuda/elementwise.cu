// Elementwise kernels over any strides: copy (with type conversion), fill, unary and binary functions, where.
#include "common.cuh"

// The ordinals of dev.t4j.backend.UnaryOp and BinaryOp, in their order (a test compares these lists with the enums).
namespace Unary { enum Op { NEG, EXP, LOG, SQRT, RSQRT, RECIP, TANH, ERF, ABS, SIGN, SIGMOID, RELU, GELU, GELU_TANH, SIN, COS,
               SCALE, ADD_SCALAR, POW_SCALAR, RELU_DERIV, GELU_DERIV, GELU_TANH_DERIV }; }
namespace Binary { enum Op { ADD, SUB, MUL, DIV, MAX, MIN, POW, EQ, NE, LT, LE, GT, GE }; }

template <typename T>
__device__ __forceinline__ T unary_fn(int op, T alpha, T x) {
    const T sqrt_2_over_pi = (T) 0.7978845608028654, inv_sqrt_2 = (T) 0.7071067811865476;
    const T inv_sqrt_2pi = (T) 0.3989422804014327, c = (T) 0.044715;
    switch (op) {
        case Unary::NEG: return -x;
        case Unary::EXP: return exp(x);
        case Unary::LOG: return log(x);
        case Unary::SQRT: return sqrt(x);
        case Unary::RSQRT: return (T) 1 / sqrt(x);
        case Unary::RECIP: return (T) 1 / x;
        case Unary::TANH: return tanh(x);
        case Unary::ERF: return erf(x);
        case Unary::ABS: return fabs(x);
        case Unary::SIGN: return x > 0 ? (T) 1 : x < 0 ? (T) -1 : x;
        case Unary::SIGMOID: return (T) 1 / ((T) 1 + exp(-x));
        case Unary::RELU: return x > 0 ? x : (T) 0;
        case Unary::GELU: return (T) 0.5 * x * ((T) 1 + erf(x * inv_sqrt_2));
        case Unary::GELU_TANH: return (T) 0.5 * x * ((T) 1 + tanh(sqrt_2_over_pi * (x + c * x * x * x)));
        case Unary::SIN: return sin(x);
        case Unary::COS: return cos(x);
        case Unary::SCALE: return alpha * x;
        case Unary::ADD_SCALAR: return x + alpha;
        case Unary::POW_SCALAR: return pow(x, alpha);
        case Unary::RELU_DERIV: return x > 0 ? (T) 1 : (T) 0;
        case Unary::GELU_DERIV: return (T) 0.5 * ((T) 1 + erf(x * inv_sqrt_2)) + x * exp((T) -0.5 * x * x) * inv_sqrt_2pi;
        case Unary::GELU_TANH_DERIV: {
            T t = tanh(sqrt_2_over_pi * (x + c * x * x * x));
            return (T) 0.5 * ((T) 1 + t) + (T) 0.5 * x * ((T) 1 - t * t) * sqrt_2_over_pi * ((T) 1 + 3 * c * x * x);
        }
        default: return (T) NAN;
    }
}

template <typename T>
__device__ __forceinline__ T binary_fn(int op, T a, T b) {
    switch (op) {
        case Binary::ADD: return a + b;
        case Binary::SUB: return a - b;
        case Binary::MUL: return a * b;
        case Binary::DIV: return a / b;
        case Binary::MAX: return isnan(a) || isnan(b) ? (T) NAN : fmax(a, b);
        case Binary::MIN: return isnan(a) || isnan(b) ? (T) NAN : fmin(a, b);
        case Binary::POW: return pow(a, b);
        case Binary::EQ: return a == b ? (T) 1 : (T) 0;
        case Binary::NE: return a != b ? (T) 1 : (T) 0;
        case Binary::LT: return a < b ? (T) 1 : (T) 0;
        case Binary::LE: return a <= b ? (T) 1 : (T) 0;
        case Binary::GT: return a > b ? (T) 1 : (T) 0;
        case Binary::GE: return a >= b ? (T) 1 : (T) 0;
        default: return (T) NAN;
    }
}

// Operand 0 is the destination, operand 1 the source; both of the same element size, so bytes move unchanged.
template <typename E>
__device__ void copy_same(Layout L, const E* src, E* dst) {
    FOR_EACH(i, L.numel) {
        long long o[2];
        offsets<2>(L, i, o, -1, nullptr);
        dst[o[0]] = src[o[1]];
    }
}

extern "C" __global__ void copy_bytes1(Layout L, const unsigned char* src, unsigned char* dst) { copy_same(L, src, dst); }
extern "C" __global__ void copy_bytes2(Layout L, const uint16_t* src, uint16_t* dst) { copy_same(L, src, dst); }
extern "C" __global__ void copy_bytes4(Layout L, const uint32_t* src, uint32_t* dst) { copy_same(L, src, dst); }
extern "C" __global__ void copy_bytes8(Layout L, const uint64_t* src, uint64_t* dst) { copy_same(L, src, dst); }

// Between types: through double, which holds every float32, float16, bfloat16 and int32 value exactly, and int64
// values up to 2^53 (token ids and indices).
extern "C" __global__ void copy_convert(Layout L, const void* src, int src_dt, void* dst, int dst_dt) {
    FOR_EACH(i, L.numel) {
        long long o[2];
        offsets<2>(L, i, o, -1, nullptr);
        if (src_dt == I64 && dst_dt == I32) {
            ((int*) dst)[o[0]] = (int) ((const long long*) src)[o[1]];
        } else if (src_dt == I32 && dst_dt == I64) {
            ((long long*) dst)[o[0]] = ((const int*) src)[o[1]];
        } else {
            store<double>(dst, dst_dt, o[0], load<double>(src, src_dt, o[1]));
        }
    }
}

extern "C" __global__ void fill(Layout L, void* dst, int dt, double value) {
    FOR_EACH(i, L.numel) {
        long long o[1];
        offsets<1>(L, i, o, -1, nullptr);
        store<double>(dst, dt, o[0], value);
    }
}

// Operands: 0 = out, 1 = x.
template <typename T>
__device__ void unary(Layout L, int op, double alpha, const void* x, int x_dt, void* out, int out_dt) {
    FOR_EACH(i, L.numel) {
        long long o[2];
        offsets<2>(L, i, o, -1, nullptr);
        store<T>(out, out_dt, o[0], unary_fn<T>(op, (T) alpha, load<T>(x, x_dt, o[1])));
    }
}

extern "C" __global__ void unary_f32(Layout L, int op, double alpha, const void* x, int x_dt, void* out, int out_dt) {
    unary<float>(L, op, alpha, x, x_dt, out, out_dt);
}
extern "C" __global__ void unary_f64(Layout L, int op, double alpha, const void* x, int x_dt, void* out, int out_dt) {
    unary<double>(L, op, alpha, x, x_dt, out, out_dt);
}

// The common case without the per-element type switch: contiguous float32 in and out.
extern "C" __global__ void unary_contiguous_f32(long long n, int op, float alpha, const float* x, float* out) {
    FOR_EACH(i, n) out[i] = unary_fn<float>(op, alpha, x[i]);
}

// Operands: 0 = out, 1 = a, 2 = b.
template <typename T>
__device__ void binary(Layout L, int op, const void* a, int a_dt, const void* b, int b_dt, void* out, int out_dt) {
    FOR_EACH(i, L.numel) {
        long long o[3];
        offsets<3>(L, i, o, -1, nullptr);
        store<T>(out, out_dt, o[0], binary_fn<T>(op, load<T>(a, a_dt, o[1]), load<T>(b, b_dt, o[2])));
    }
}

extern "C" __global__ void binary_f32(Layout L, int op, const void* a, int a_dt, const void* b, int b_dt, void* out,
                                      int out_dt) {
    binary<float>(L, op, a, a_dt, b, b_dt, out, out_dt);
}
extern "C" __global__ void binary_f64(Layout L, int op, const void* a, int a_dt, const void* b, int b_dt, void* out,
                                      int out_dt) {
    binary<double>(L, op, a, a_dt, b, b_dt, out, out_dt);
}

// Operands: 0 = out, 1 = cond, 2 = a, 3 = b. Values move through double (exact for every type but huge int64).
extern "C" __global__ void where_select(Layout L, const void* cond, int cond_dt, const void* a, int a_dt, const void* b,
                                       int b_dt, void* out, int out_dt) {
    FOR_EACH(i, L.numel) {
        long long o[4];
        offsets<4>(L, i, o, -1, nullptr);
        bool c = load<double>(cond, cond_dt, o[1]) != 0;
        store<double>(out, out_dt, o[0], c ? load<double>(a, a_dt, o[2]) : load<double>(b, b_dt, o[3]));
    }
}

// A linear layer's epilogue in one pass over its contiguous [rows, cols] product: out = act(out + bias), bias a
// vector of any type and stride (null for none), act a UnaryOp ordinal (-1 for none).
extern "C" __global__ void bias_activation_f32(long long rows, long long cols, float* out, const void* bias,
                                               int bias_dt, long long bias_stride, int act) {
    FOR_EACH(i, rows * cols) {
        float v = out[i];
        if (bias) v += load<float>(bias, bias_dt, (i % cols) * bias_stride);
        if (act >= 0) v = unary_fn<float>(act, 0.f, v);
        out[i] = v;
    }
}
