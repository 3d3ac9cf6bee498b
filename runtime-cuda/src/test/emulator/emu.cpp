// The emulator's launcher: emu_launch(name, grid, block, params) runs kernel `name` with the driver's argument
// convention (params[i] points at argument i), over `grid` blocks of `block` threads.
#include "emu.cuh"
#include "t4j_kernels.cu"

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

thread_local dim3 threadIdx;
thread_local dim3 blockIdx;
dim3 blockDim;
dim3 gridDim;
thread_local EmuBlock emu_block;
std::mutex emu_atomics;

template <typename... A, size_t... I>
static void invoke(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(p[I])...);
}

// A block's threads, kept between launches (creating hundreds of threads per launch costs more than the kernels):
// each launch hands them a body and waits for all of them to finish it.
class Pool {
  public:
    explicit Pool(int n) : n_(n), start_(n + 1), end_(n + 1), slots_(n) {
        for (int w = 0; w < (n + 31) / 32; w++) warps_.push_back(new std::barrier<>(32));
        block_ = new std::barrier<>(n);
        for (int t = 0; t < n; t++) {
            threads_.emplace_back([this, t] {
                threadIdx = dim3{(unsigned) t, 0, 0};
                emu_block.block = block_;
                for (size_t w = 0; w < warps_.size(); w++) emu_block.warps[w] = warps_[w];
                emu_block.slots = slots_.data();
                for (;;) {
                    start_.arrive_and_wait();
                    body_();
                    end_.arrive_and_wait();
                }
            });
            threads_.back().detach();
        }
    }

    /** Runs body on every thread of the block and waits for them. */
    void run(const std::function<void()>& body) {
        body_ = body;
        start_.arrive_and_wait();
        end_.arrive_and_wait();
    }

    std::barrier<>* block() { return block_; }

  private:
    int n_;
    std::barrier<> start_, end_;
    std::barrier<>* block_;
    std::vector<std::barrier<>*> warps_;
    std::vector<unsigned char[8]> slots_;
    std::vector<std::thread> threads_;
    std::function<void()> body_;
};


// Kernels that use no block-level cooperation (grid-stride loops over elements) run as blocks of one thread on
// the caller's thread: they are written for any grid, so that covers every element. Kernels that reduce within a
// block (__syncthreads, shuffles, __shared__) run as one block of 64 threads on the pool, looping over their rows:
// two warps still exercise the cross-warp reductions, and fewer, longer blocks spend less time switching threads.
static std::mutex launches;

template <typename... A>
static void serial(void (*f)(A...), void** p) {
    std::lock_guard<std::mutex> one_at_a_time(launches);
    // seven one-thread blocks run last to first: elements are visited out of order, as on a GPU, so a kernel whose
    // result depends on the order (an output overlapping an input elsewhere) differs here too
    gridDim = dim3{7, 1, 1};
    blockDim = dim3{1, 1, 1};
    threadIdx = dim3{0, 0, 0};
    for (int b = 6; b >= 0; b--) {
        blockIdx = dim3{(unsigned) b, 0, 0};
        invoke(f, p, std::index_sequence_for<A...>{});
    }
}

template <typename... A>
static void cooperative(void (*f)(A...), void** p) {
    static Pool* pool = new Pool(64);
    std::lock_guard<std::mutex> one_at_a_time(launches);
    gridDim = dim3{1, 1, 1};
    blockDim = dim3{64, 1, 1};
    pool->run([=] {
        blockIdx = dim3{0, 0, 0};
        invoke(f, p, std::index_sequence_for<A...>{});
    });
}

#define S(name) {#name, [](void** p) { serial(::name, p); }}
#define B(name) {#name, [](void** p) { cooperative(::name, p); }}

static const std::map<std::string, std::function<void(void**)>> kernels = {
    S(copy_bytes1), S(copy_bytes2), S(copy_bytes4), S(copy_bytes8), S(copy_convert), S(fill),
    S(unary_f32), S(unary_f64), S(unary_contiguous_f32), S(bias_activation_f32), S(binary_f32), S(binary_f64), S(where_select),
    S(reduce_thread_f32), S(reduce_thread_f64), S(reduce_sum_parts_f32), S(sum_parts_f32), B(reduce_block_f32), B(reduce_block_f64),
    B(softmax_f32), B(softmax_f64), B(layer_norm_f32), B(layer_norm_f64), B(layer_norm_backward_f32), S(layer_norm_param_grads_f32), B(rms_norm_f32), B(rms_norm_f64),
    B(cross_entropy_f32), B(cross_entropy_f64), S(cross_entropy_backward_f32), S(cross_entropy_backward_f64),
    S(adamw_f32), S(dropout_f32), S(index_select), S(index_add), S(gather), S(scatter_add),
    B(attention_forward_f32), B(attention_backward_dq_f32), B(attention_backward_dkv_f32),
    B(attention_tiled_forward_f32), B(attention_tiled_backward_dq_f32), B(attention_tiled_backward_dkv_f32),
};

/** grid and block as the backend asked; the emulator picks its own (see above). */
extern "C" int emu_launch(const char* name, int grid, int block, void** params) {
    (void) grid;
    (void) block;
    auto it = kernels.find(name);
    if (it == kernels.end()) return 1;
    it->second(params);
    return 0;
}
