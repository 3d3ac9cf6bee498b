#!/usr/bin/python3
"""The matrix products of one training step of the toolkit model, each shape alone, through OpenBLAS (Debian's
python3-numpy): the list and timing of bench's TrainingProducts (median call after warm-up, C written in place, a
transposed operand as a view of a row-major matrix). Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
(bench/products.sh does). Arguments: threads (for the report; OPENBLAS_NUM_THREADS sets them), seconds per shape.
"""
import json
import sys
import time

import numpy as np

from openblas_sgemm import core_type  # this folder's sgemm peer: which OpenBLAS kernel numpy runs

STEP = [("LM head logits", 2048, 8192, 256, "nt", 1), ("LM head dx", 2048, 256, 8192, "nn", 1),
        ("LM head dW", 8192, 256, 2048, "tn", 1), ("c_attn", 2048, 768, 256, "nn", 4),
        ("attn c_proj", 2048, 256, 256, "nn", 4), ("c_fc", 2048, 1024, 256, "nn", 4),
        ("mlp c_proj", 2048, 256, 1024, "nn", 4), ("c_attn dx", 2048, 256, 768, "nt", 4),
        ("attn c_proj dx", 2048, 256, 256, "nt", 4), ("c_fc dx", 2048, 256, 1024, "nt", 4),
        ("mlp c_proj dx", 2048, 1024, 256, "nt", 4), ("c_attn dW", 256, 768, 2048, "tn", 4),
        ("attn c_proj dW", 256, 256, 2048, "tn", 4), ("c_fc dW", 256, 1024, 2048, "tn", 4),
        ("mlp c_proj dW", 1024, 256, 2048, "tn", 4)]


def main():
    if core_type() == "unknown":
        sys.exit("numpy is not running on OpenBLAS (Debian's default BLAS is the slow reference one): "
                 "apt-get install libopenblas0-pthread python3-threadpoolctl")
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    rng = np.random.default_rng(1)
    for name, m, n, k, layout, per_step in STEP:
        a = rng.standard_normal((k, m), dtype=np.float32).T if layout[0] == "t" else \
            rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((n, k), dtype=np.float32).T if layout[1] == "t" else \
            rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        warm = time.perf_counter() + seconds * 0.5
        while time.perf_counter() < warm:
            np.matmul(a, b, out=c)
        times = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end or len(times) < 5:
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            times.append(time.perf_counter() - t0)
        times.sort()
        median = times[len(times) // 2]
        print(json.dumps({"name": name, "shape": f"{m}x{n}x{k}", "layout": layout, "per_step": per_step,
                          "threads": threads, "gflops": 2 * m * n * k / median / 1e9}), flush=True)


if __name__ == "__main__":
    main()
