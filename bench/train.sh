#!/usr/bin/env bash
# Training throughput: t4j (GptTrainThroughput) beside PyTorch eager (Debian python3-torch), 1 and 2 threads.
# Prints a Markdown table for BENCHMARKS.md. About 2 minutes.
. "$(dirname "$0")/lib.sh"
versus_torch GptTrainThroughput torch_gpt_train.py tokens_per_s:tokens/s:0
