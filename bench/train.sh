#!/usr/bin/env bash
# Training throughput: t4j (GptTrainThroughput) beside PyTorch eager (Debian python3-torch), 1 and 2 threads.
# Prints a Markdown table for BENCHMARKS.md for each of two models: the training-toolkit issue's (4 layers, width 256,
# vocabulary 8,192), the same with GPT-2's default dropout (0.1) and `t4j pretrain gpt`'s default (4 layers, width 128,
# vocabulary 2,048); and the first once more against PyTorch left with denormal floats (its default: the peer flushes
# them to zero otherwise, see bench/peers/torch_gpt_train.py). Each row also gives the model's arithmetic a second
# (GptTrainThroughput.flopsPerToken, counted the same on both sides), to read against the FMA peak. About 7 minutes.
. "$(dirname "$0")/lib.sh"
keys=(tokens_per_s:tokens/s:0 model_gflops:GFLOP/s:1)
echo "toolkit model:"
versus_torch GptTrainThroughput torch_gpt_train.py "${keys[@]}"
echo "toolkit model, dropout 0.1:"
BENCH_ARGS=dropout versus_torch GptTrainThroughput torch_gpt_train.py "${keys[@]}"
echo "pretrain gpt default:"
BENCH_ARGS=pretrain versus_torch GptTrainThroughput torch_gpt_train.py "${keys[@]}"
echo "toolkit model, PyTorch keeping denormal floats (its default):"
T4J_PEER_DENORMALS=keep versus_torch GptTrainThroughput torch_gpt_train.py "${keys[@]}"
