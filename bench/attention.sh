#!/usr/bin/env bash
# Causal self-attention (12 heads of 64, one sequence): the materialising path beside the fused one, forward and
# backward ms and the memory held between them, at 512 and 2,048 tokens on 1 and 2 threads. Prints a Markdown table.
. "$(dirname "$0")/lib.sh"
echo "| threads | tokens | path | forward ms | backward ms | held after forward MB |"
echo "|---:|---:|---|---:|---:|---:|"
for t in 1 2; do
  for n in 512 2048; do
    t4j_java dev.t4j.bench.AttentionThroughput "$t" "$n" 2>/dev/null | /usr/bin/python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(f\"| {r['threads']} | {r['length']} | {r['path']} | {r['forward_ms']:.1f} | {r['backward_ms']:.1f} | {r['held_mb']:.1f} |\")"
  done
done
