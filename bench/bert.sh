#!/usr/bin/env bash
# BERT-base forward: t4j (BertForwardThroughput) beside PyTorch eager, 1 and 2 threads. About 2 minutes.
# Prints a Markdown table for BENCHMARKS.md.
. "$(dirname "$0")/lib.sh"
versus_torch BertForwardThroughput torch_bert_forward.py sequences_per_s:sequences/s:2
