#!/usr/bin/env bash
# t5-small encode (512 tokens) and greedy decode (64 tokens, cached): t4j (T5Throughput) beside PyTorch eager,
# 1 and 2 threads; then training (batches of 2 x 512 input and 64 target tokens, dropout 0.1, AdamW:
# T5TrainThroughput); the first table also times the whole request (encode 512 + 64 greedy tokens). Prints Markdown
# tables for BENCHMARKS.md. About 3 minutes.
. "$(dirname "$0")/lib.sh"
versus_torch T5Throughput torch_t5.py encode_tokens_per_s:encode_tokens/s:0 decode_tokens_per_s:decode_tokens/s:1 request_tokens_per_s:request_tokens/s:1
echo "training:"
BENCH_ARGS=train versus_torch T5TrainThroughput torch_t5.py input_tokens_per_s:input_tokens/s:0
