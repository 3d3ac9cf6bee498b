// Embedding lookups and their gradients: index_select / index_add along one dim, gather / scatter_add.
// The adds are atomic, so rows that share an index (repeated tokens) are summed correctly in any order.
#include "common.cuh"

template <typename T>
__device__ __forceinline__ void atomic_add_to(void* dst, int dt, long long i, T v) {
    if (dt == F64) atomicAdd(((double*) dst) + i, (double) v);
    else atomicAdd(((float*) dst) + i, (float) v);
}

// Over out's shape. Operands: 0 = out, 1 = src with stride 0 along dim (the index supplies that coordinate).
extern "C" __global__ void index_select(Layout L, int dim, const void* src, int src_dt, long long src_dim_stride,
                                        const void* index, int index_dt, long long index_offset,
                                        long long index_stride, void* out, int out_dt) {
    FOR_EACH(i, L.numel) {
        long long o[2], c = 0;
        offsets<2>(L, i, o, dim, &c);
        long long picked = load_index(index, index_dt, index_offset + c * index_stride);
        store<double>(out, out_dt, o[0], load<double>(src, src_dt, o[1] + picked * src_dim_stride));
    }
}

// Over src's shape. Operands: 0 = dst with stride 0 along dim, 1 = src. dst is float32 or float64.
extern "C" __global__ void index_add(Layout L, int dim, void* dst, int dst_dt, long long dst_dim_stride,
                                     const void* index, int index_dt, long long index_offset, long long index_stride,
                                     const void* src, int src_dt) {
    FOR_EACH(i, L.numel) {
        long long o[2], c = 0;
        offsets<2>(L, i, o, dim, &c);
        long long picked = load_index(index, index_dt, index_offset + c * index_stride);
        atomic_add_to<double>(dst, dst_dt, o[0] + picked * dst_dim_stride, load<double>(src, src_dt, o[1]));
    }
}

// Over out's (= index's) shape. Operands: 0 = out, 1 = index, 2 = src with stride 0 along dim.
extern "C" __global__ void gather(Layout L, const void* src, int src_dt, long long src_dim_stride, const void* index,
                                  int index_dt, void* out, int out_dt) {
    FOR_EACH(i, L.numel) {
        long long o[3];
        offsets<3>(L, i, o, -1, nullptr);
        long long picked = load_index(index, index_dt, o[1]);
        store<double>(out, out_dt, o[0], load<double>(src, src_dt, o[2] + picked * src_dim_stride));
    }
}

// Over src's (= index's) shape. Operands: 0 = dst with stride 0 along dim, 1 = index, 2 = src.
extern "C" __global__ void scatter_add(Layout L, void* dst, int dst_dt, long long dst_dim_stride, const void* index,
                                       int index_dt, const void* src, int src_dt) {
    FOR_EACH(i, L.numel) {
        long long o[3];
        offsets<3>(L, i, o, -1, nullptr);
        long long picked = load_index(index, index_dt, o[1]);
        atomic_add_to<double>(dst, dst_dt, o[0] + picked * dst_dim_stride, load<double>(src, src_dt, o[2]));
    }
}
