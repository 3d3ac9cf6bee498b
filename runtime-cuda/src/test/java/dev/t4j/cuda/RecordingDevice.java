package dev.t4j.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** A stand-in GPU that records kernel launches and products instead of running them. */
final class RecordingDevice extends HostMemoryDevice {
    final List<String> launches = new ArrayList<>();
    final List<String> products = new ArrayList<>();

    @Override
    public String describe() {
        return "cuda:0 (recording stand-in)";
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        super.copyOnDevice(dst, src, bytes);
        launches.add("memcpy");
    }

    @Override
    public void zero(long dst, long bytes) {
        super.zero(dst, bytes);
        launches.add("memset");
    }

    @Override
    public void launch(Kernel k, int grid, int block, MemorySegment params, String op) {
        launches.add(k.symbol());
    }

    @Override
    public Blas blas() {
        return new Blas() {
            @Override
            public void sgemm(GemmPlan p, long x, long y, long c) {
                products.add("sgemm " + p);
            }

            @Override
            public void dgemm(GemmPlan p, long x, long y, long c) {
                products.add("dgemm " + p);
            }

            @Override
            public void gemmBf16(GemmPlan p, long x, long y, long c, boolean bf16Out) {
                products.add("gemmBf16 " + p);
            }
        };
    }
}
