#!/usr/bin/env bash
# sgemm: t4j (JMH) beside OpenBLAS (Debian python3-numpy) on this machine, 1 and 2 threads, in one run.
# Prints a Markdown table for BENCHMARKS.md. Needs: apt-get install python3-numpy (and python3-threadpoolctl
# to report the OpenBLAS kernel). Takes about 6 minutes.
. "$(dirname "$0")/lib.sh"
OUT=bench/target/sgemm
mkdir -p "$OUT"
for t in 1 2; do
  t4j_java org.openjdk.jmh.Main SgemmBenchmark -p threads=$t -rf json -rff "$OUT/t4j-$t.json" ${JMH_ARGS:-} >&2
  peer $t /usr/bin/python3 bench/peers/openblas_sgemm.py > "$OUT/openblas-$t.jsonl"
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, glob
out = sys.argv[1]
rows = {}
for t in (1, 2):
    for r in json.load(open(f"{out}/t4j-{t}.json")):
        shape = r["params"]["shape"]; m, n, k = (int(x) for x in shape.split("x"))
        ms = r["primaryMetric"]["scorePercentiles"]["50.0"]  # the median call, as the OpenBLAS script reports
        rows.setdefault((shape, t), {})["t4j"] = 2 * m * n * k / (ms / 1e3) / 1e9
    for line in open(f"{out}/openblas-{t}.jsonl"):
        r = json.loads(line)
        rows.setdefault((r["shape"], t), {})["openblas"] = r["gflops"]
        kernel = r["kernel"]
print(f"OpenBLAS kernel: {kernel}\n")
print("| m x n x k | threads | t4j GFLOP/s | OpenBLAS GFLOP/s | t4j / OpenBLAS |")
print("|---|---:|---:|---:|---:|")
for (shape, t), v in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(f"| {shape} | {t} | {v['t4j']:.1f} | {v['openblas']:.1f} | {v['t4j'] / v['openblas']:.2f} |")
PY
