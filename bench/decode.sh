#!/usr/bin/env bash
# GPT-2 small generation: t4j (GptDecodeThroughput) beside PyTorch eager with a cache, 1 and 2 threads.
# Prints a Markdown table for BENCHMARKS.md. About 2 minutes.
. "$(dirname "$0")/lib.sh"
versus_torch GptDecodeThroughput torch_gpt_decode.py tokens_per_s:tokens/s:1
