#!/usr/bin/env bash
# GPT-2 small generation: t4j (GptDecodeThroughput) beside PyTorch eager with a cache, 1 and 2 threads.
# Prints Markdown tables for BENCHMARKS.md. About 3 minutes.
. "$(dirname "$0")/lib.sh"
versus_torch GptDecodeThroughput torch_gpt_decode.py tokens_per_s:tokens/s:1
# The same model with its weight matrices stored in bfloat16 (float32 compute), beside float32 weights: both models in
# one JVM, their rounds alternating, so that the ratio is measured under the same conditions.
echo
echo "| threads | t4j float32 weights tokens/s | t4j bfloat16 weights tokens/s | bfloat16 / float32 |"
echo "|---:|---:|---:|---:|"
for t in 1 2; do
  r=$(t4j_java dev.t4j.bench.GptDecodeThroughput "$t" both 2>/dev/null | tail -1)
  /usr/bin/python3 -c "import json,sys; a=json.loads(sys.argv[1]); f, b = a['float32_tokens_per_s'], a['bfloat16_tokens_per_s']; print(f\"| {a['threads']} | {f:.1f} | {b:.1f} | {b/f:.2f} |\")" "$r"
done
