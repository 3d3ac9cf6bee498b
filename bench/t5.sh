#!/usr/bin/env bash
# t5-small encode (512 tokens) and greedy decode (64 tokens, cached): t4j (T5Throughput) beside PyTorch eager,
# 1 and 2 threads. Prints a Markdown table for BENCHMARKS.md. About 2 minutes.
. "$(dirname "$0")/lib.sh"
versus_torch T5Throughput torch_t5.py encode_tokens_per_s:encode_tokens/s:0 decode_tokens_per_s:decode_tokens/s:1
