#!/usr/bin/python3
"""OpenBLAS sgemm through Debian's python3-numpy, timed like the JMH benchmark: C = A @ B (C allocated per call).

Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (bench/sgemm.sh does), or OpenBLAS picks a slower kernel.
Prints one JSON object per shape: {"shape": "MxNxK", "threads": T, "gflops": best-of-N rate, "kernel": core}.
"""
import json
import os
import sys
import time

import numpy as np

SHAPES = ["256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048", "2048x3072x768", "2048x768x3072",
          "2048x768x768"]


def core_type():
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            if info.get("internal_api") == "openblas":
                return info.get("architecture")
    except ImportError:
        pass
    return "unknown"


def median_seconds(call, seconds):
    """The median time of call(), run for at least `seconds` and at least 5 times."""
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 5:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    kernel = core_type()
    if kernel == "unknown":
        sys.exit("numpy is not running on OpenBLAS (Debian's default BLAS is the slow reference one): "
                 "apt-get install libopenblas0-pthread python3-threadpoolctl")
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    rng = np.random.default_rng(1)
    for shape in SHAPES:
        m, n, k = (int(x) for x in shape.split("x"))
        a = rng.random((m, k), dtype=np.float32) - 0.5
        b = rng.random((k, n), dtype=np.float32) - 0.5
        for _ in range(3):
            a @ b
        median = median_seconds(lambda: a @ b, seconds)
        print(json.dumps({"shape": shape, "threads": threads, "gflops": 2 * m * n * k / median / 1e9,
                          "kernel": kernel}), flush=True)


if __name__ == "__main__":
    main()
