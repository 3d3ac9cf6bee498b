#!/usr/bin/python3
"""GPT-style training throughput in PyTorch eager (Debian python3-torch), the peer of GptTrainThroughput.java:
4 layers, width 256, 4 heads, vocab 8192, sequence 128, batch 16, AdamW, GPT-2 layout (pre-LN, learned positions,
tanh GELU, tied head), dropout off; argv[2] = pretrain for `t4j pretrain gpt`'s default model (width 128, vocabulary
2048), or dropout for the first with GPT-2's default dropout (0.1 on the embeddings, the residual branches and the
attention probabilities, as Hugging Face's eager GPT-2). Prints {"threads": T, "tokens_per_s": X, "model_gflops": Y}
with Y the model's arithmetic a second, counted as GptTrainThroughput.flopsPerToken counts it (nanoGPT's MFU
estimate). Threads from argv[1]."""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)
# Denormal floats flushed to zero, unless T4J_PEER_DENORMALS=keep: on Intel cores a product that meets them runs
# several times slower (this model's default initialisation makes large logits whose softmax tails fall below 1e-38:
# 919 against 2,543 tokens/s, BENCHMARKS.md); t4j's softmax and cross-entropy gradient flush them, so neither pays.
torch.set_flush_denormal(os.environ.get("T4J_PEER_DENORMALS") != "keep")
pretrain = len(sys.argv) > 2 and sys.argv[2] == "pretrain"
P = 0.1 if len(sys.argv) > 2 and sys.argv[2] == "dropout" else 0.0
V, T, C, L, H, B = (2048, 128, 128, 4, 4, 16) if pretrain else (8192, 128, 256, 4, 4, 16)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q = q.view(b, t, H, c // H).transpose(1, 2)
        k = k.view(b, t, H, c // H).transpose(1, 2)
        v = v.view(b, t, H, c // H).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // H)
        att = att.masked_fill(self.mask[:t, :t], float("-inf")).softmax(-1)
        att = F.dropout(att, P, self.training)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + F.dropout(self.c_proj(y), P, self.training)
        return x + F.dropout(self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")), P, self.training)


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)

    def forward(self, ids):
        x = F.dropout(self.wte(ids) + self.wpe.weight[: ids.shape[1]], P, self.training)
        for blk in self.h:
            x = blk(x)
        return self.ln_f(x) @ self.wte.weight.t()


model = GPT()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
ids = torch.randint(0, V, (B, T + 1))


def step():
    logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


for _ in range(3):
    step()
n = 12
t0 = time.perf_counter()
for _ in range(n):
    step()
dt = time.perf_counter() - t0
tokens_per_s = n * B * T / dt
flops_per_token = 6 * (L * 12 * C * C + V * C) + 12 * L * T * C
gflops = tokens_per_s * flops_per_token / 1e9
print(json.dumps({"threads": threads, "tokens_per_s": tokens_per_s, "model_gflops": gflops}), flush=True)
