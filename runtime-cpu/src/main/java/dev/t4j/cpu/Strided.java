package dev.t4j.cpu;

/**
 * Iteration over several same-shaped views at once. Adjacent dims that every view walks contiguously are merged
 * first, so a contiguous tensor of any rank becomes one long row and a broadcast bias add becomes rows with a
 * stride-0 operand: the SIMD inner loops then see long runs.
 */
final class Strided {
    final int[] shape;
    final int[][] strides;
    final long[] offsets;

    private Strided(int[] shape, int[][] strides, long[] offsets) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
    }

    static Strided of(int[] shape, long[] offsets, int[]... strides) {
        int rank = shape.length;
        int k = strides.length;
        int[] s = new int[Math.max(1, rank)];
        int[][] st = new int[k][Math.max(1, rank)];
        int r = 0;
        if (rank == 0) {
            s[0] = 1;
            return new Strided(s, st, offsets);
        }
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1 && rank > 1) {
                continue; // size-1 dims never move the offset
            }
            if (r > 0) {
                boolean merge = true;
                for (int t = 0; t < k; t++) {
                    if ((long) st[t][r - 1] != (long) strides[t][d] * shape[d]) {
                        merge = false;
                        break;
                    }
                }
                if (merge) {
                    s[r - 1] *= shape[d];
                    for (int t = 0; t < k; t++) {
                        st[t][r - 1] = strides[t][d];
                    }
                    continue;
                }
            }
            s[r] = shape[d];
            for (int t = 0; t < k; t++) {
                st[t][r] = strides[t][d];
            }
            r++;
        }
        if (r == 0) {
            s[0] = 1;
            r = 1;
        }
        int[] fs = java.util.Arrays.copyOf(s, r);
        int[][] fst = new int[k][];
        for (int t = 0; t < k; t++) {
            fst[t] = java.util.Arrays.copyOf(st[t], r);
        }
        return new Strided(fs, fst, offsets);
    }

    int rank() {
        return shape.length;
    }

    int inner() {
        return shape[shape.length - 1];
    }

    int innerStride(int t) {
        return strides[t][shape.length - 1];
    }

    long rows() {
        long n = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** Element offset of row {@code row}'s first element in tensor {@code t}. */
    long rowOffset(int t, long row) {
        long o = offsets[t];
        for (int d = shape.length - 2; d >= 0; d--) {
            long i = row % shape[d];
            row /= shape[d];
            o += i * strides[t][d];
        }
        return o;
    }

    /** Body over a run of {@code len} elements starting at element offsets {@code at[t]}. */
    @FunctionalInterface
    interface Run {
        void run(long[] at, int len);
    }

    /**
     * Calls {@code body} for every run of the inner dim, in parallel: by rows when there are several, else by
     * chunks of the single row.
     */
    void forEachRun(Parallel par, Run body) {
        int k = offsets.length;
        long rows = rows();
        int n = inner();
        if (rows == 1) {
            int grain = 1 << 15;
            par.forRange((n + grain - 1) / grain, 1, (s, e) -> {
                long[] at = new long[k];
                int start = s * grain;
                int end = Math.min(n, e * grain);
                for (int t = 0; t < k; t++) {
                    at[t] = offsets[t] + (long) start * innerStride(t);
                }
                body.run(at, end - start);
            });
            return;
        }
        int grainRows = Math.max(1, (1 << 15) / Math.max(1, n));
        par.forRange(Math.toIntExact(rows), grainRows, (s, e) -> {
            long[] at = new long[k];
            for (long row = s; row < e; row++) {
                for (int t = 0; t < k; t++) {
                    at[t] = rowOffset(t, row);
                }
                body.run(at, n);
            }
        });
    }
}
