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

static std::mutex launches;

template <typename... A>
static void run(void (*f)(A...), int grid, int block, void** p) {
    static std::map<int, Pool*> pools;
    std::lock_guard<std::mutex> one_at_a_time(launches);
    Pool*& pool = pools[block];
    if (!pool) pool = new Pool(block);
    gridDim = dim3{(unsigned) grid, 1, 1};
    blockDim = dim3{(unsigned) block, 1, 1};
    std::barrier<>* bar = pool->block();
    pool->run([=] {
        for (int b = 0; b < grid; b++) {
            blockIdx = dim3{(unsigned) b, 0, 0};
            invoke(f, p, std::index_sequence_for<A...>{});
            bar->arrive_and_wait(); // the next block reuses the shared arrays
        }
    });
}

#define K(name) {#name, [](int g, int b, void** p) { run(::name, g, b, p); }}

static const std::map<std::string, std::function<void(int, int, void**)>> kernels = {
    K(copy_bytes1), K(copy_bytes2), K(copy_bytes4), K(copy_bytes8), K(copy_convert), K(fill),
    K(unary_f32), K(unary_f64), K(unary_contiguous_f32), K(binary_f32), K(binary_f64), K(where_select),
    K(reduce_thread_f32), K(reduce_thread_f64), K(reduce_block_f32), K(reduce_block_f64),
    K(softmax_f32), K(softmax_f64), K(layer_norm_f32), K(layer_norm_f64), K(rms_norm_f32), K(rms_norm_f64),
    K(cross_entropy_f32), K(cross_entropy_f64), K(cross_entropy_backward_f32), K(cross_entropy_backward_f64),
    K(adamw_f32), K(index_select), K(index_add), K(gather), K(scatter_add),
};

// Blocks run with at most 64 threads: t4j's kernels are written for any block size that is a multiple of 32 (and a
// power of two), two warps still exercise the cross-warp reductions, and 256 threads per block on a 2-core machine
// spend their time switching.
extern "C" int emu_launch(const char* name, int grid, int block, void** params) {
    auto it = kernels.find(name);
    if (it == kernels.end()) return 1;
    it->second(grid, block < 64 ? block : 64, params);
    return 0;
}
