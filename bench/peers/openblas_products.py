#!/usr/bin/python3
"""The matrix products of one training step of the toolkit model, each shape alone, through OpenBLAS (Debian's
python3-numpy), timed as bench's TrainingProducts times them (median call after warm-up, C written in place, a
transposed operand as a view of a row-major matrix). The shapes are read from TrainingProducts' own output, so the
list lives in one place. Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (bench/products.sh does).
Arguments: TrainingProducts' JSON lines (a file), threads (for the report; OPENBLAS_NUM_THREADS sets them), seconds
per shape.
"""
import json
import sys
import time

import numpy as np

from openblas_sgemm import core_type, median_seconds  # this folder's sgemm peer: OpenBLAS's kernel, the timing


def main():
    if core_type() == "unknown":
        sys.exit("numpy is not running on OpenBLAS (Debian's default BLAS is the slow reference one): "
                 "apt-get install libopenblas0-pthread python3-threadpoolctl")
    products = [json.loads(line) for line in open(sys.argv[1])]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    rng = np.random.default_rng(1)
    for p in products:
        name, layout, per_step = p["name"], p["layout"], p["per_step"]
        m, n, k = (int(x) for x in p["shape"].split("x"))
        a = rng.standard_normal((k, m), dtype=np.float32).T if layout[0] == "t" else \
            rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((n, k), dtype=np.float32).T if layout[1] == "t" else \
            rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        warm = time.perf_counter() + seconds * 0.5
        while time.perf_counter() < warm:
            np.matmul(a, b, out=c)
        median = median_seconds(lambda: np.matmul(a, b, out=c), seconds)
        print(json.dumps({"name": name, "shape": f"{m}x{n}x{k}", "layout": layout, "per_step": per_step,
                          "threads": threads, "gflops": 2 * m * n * k / median / 1e9}), flush=True)


if __name__ == "__main__":
    main()
