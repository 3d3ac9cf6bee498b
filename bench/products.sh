#!/usr/bin/env bash
# The toolkit model's training-step products (TrainingProducts), each shape alone, beside OpenBLAS (Debian
# python3-numpy, bench/peers/openblas_products.py, the same shapes) on 1 and 2 threads, and what a step's products
# take at each side's rates, then the ceilings they are read against: the core's FMA peak and the GEMM micro-kernel
# alone with hot operands (KernelCeiling). Prints Markdown tables for BENCHMARKS.md. About 4 minutes.
. "$(dirname "$0")/lib.sh"
OUT=bench/target/products
mkdir -p "$OUT"
for t in 1 2; do
  t4j_java dev.t4j.bench.TrainingProducts "$t" 2>/dev/null > "$OUT/t4j-$t.jsonl"
  peer "$t" /usr/bin/python3 bench/peers/openblas_products.py "$OUT/t4j-$t.jsonl" "$t" > "$OUT/openblas-$t.jsonl"
done
t4j_java dev.t4j.cpu.KernelCeiling 2>/dev/null | tail -1 > "$OUT/ceiling.json"
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
for t in (1, 2):
    ours = [json.loads(l) for l in open(f"{out}/t4j-{t}.jsonl")]
    theirs = {r["name"]: r for r in map(json.loads, open(f"{out}/openblas-{t}.jsonl"))}
    print(f"\n{t} thread{'s' if t > 1 else ''}:\n")
    print("| product | m x n x k | layout | per step | t4j GFLOP/s | OpenBLAS GFLOP/s | t4j / OpenBLAS |")
    print("|---|---|---|---:|---:|---:|---:|")
    ms = {"t4j": 0.0, "OpenBLAS": 0.0}
    for r in ours:
        o = theirs[r["name"]]
        m, n, k = (int(x) for x in r["shape"].split("x"))
        flop = 2 * m * n * k * r["per_step"]
        ms["t4j"] += flop / r["gflops"] / 1e6
        ms["OpenBLAS"] += flop / o["gflops"] / 1e6
        print(f"| {r['name']} | {r['shape']} | {r['layout']} | {r['per_step']} | {r['gflops']:.1f} | "
              f"{o['gflops']:.1f} | {r['gflops'] / o['gflops']:.2f} |")
    print(f"\nA step's products at these rates: t4j {ms['t4j']:.0f} ms, OpenBLAS {ms['OpenBLAS']:.0f} ms.")
r = json.load(open(f"{out}/ceiling.json"))
print(f"\nCeilings, one thread: the FMA peak {r['fma_peak_gflops']:.0f} GFLOP/s; the {r['mr']} x {r['nr']} "
      f"micro-kernel alone, hot (KC {r['kc']}, a panel of {r['nb']} columns): {r['kernel_rows_gflops']:.0f} "
      f"GFLOP/s with A packed by rows, {r['kernel_cols_gflops']:.0f} by columns; its {r['short_mr']}-row form for a "
      f"short last sliver {r['kernel_short_rows_gflops']:.0f}; by columns with A's slivers taken in turn from a "
      f"block of {r['a_block_rows']} rows (L3), as a product takes them, {r['kernel_cols_a_from_l3_gflops']:.0f}.")
PY
