#!/usr/bin/env bash
# Causal self-attention (12 heads of 64): the materialising path beside the fused one, forward and backward ms and the
# memory held between them, at 128 tokens x 16 sequences (a training batch) and at 512 and 2,048 tokens x 1, on 1 and
# 2 threads. Prints a Markdown table.
. "$(dirname "$0")/lib.sh"
echo "| threads | tokens x batch | path | forward ms | backward ms | held after forward MB |"
echo "|---:|---:|---|---:|---:|---:|"
for t in 1 2; do
  for shape in "128 16" "512 1" "2048 1"; do
    t4j_java dev.t4j.bench.AttentionThroughput "$t" $shape 2>/dev/null | /usr/bin/python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(f\"| {r['threads']} | {r['length']} x {r['batch']} | {r['path']} | {r['forward_ms']:.2f} | {r['backward_ms']:.2f} | {r['held_mb']:.1f} |\")"
  done
done
