#!/usr/bin/python3
"""BERT-base forward in PyTorch eager (Debian python3-torch), the peer of BertForwardThroughput.java: 12 layers,
768, 12 heads, random weights, float32, batch 8 x 128, no_grad; sequences/s, best of 5 after 2 warm-up passes.
T4J_PEER_DEVICE=cuda runs it on the GPU (scripts/gpu-check.sh)."""
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
dev = torch.device(os.environ.get("T4J_PEER_DEVICE", "cpu"))
H, L, A, I, V, T, B = 768, 12, 12, 3072, 30522, 128, 8


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(H, eps=1e-12), nn.LayerNorm(H, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(H, I), nn.Linear(I, H)

    def forward(self, x):
        b, t, _ = x.shape
        q = self.q(x).view(b, t, A, H // A).transpose(1, 2)
        k = self.k(x).view(b, t, A, H // A).transpose(1, 2)
        v = self.v(x).view(b, t, A, H // A).transpose(1, 2)
        att = ((q @ k.transpose(-2, -1)) / (H // A) ** 0.5).softmax(-1)
        x = self.ln1(x + self.o((att @ v).transpose(1, 2).reshape(b, t, H)))
        return self.ln2(x + self.fc2(F.gelu(self.fc1(x))))


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(V, H), nn.Embedding(512, H), nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList([Layer() for _ in range(L)])

    def forward(self, ids):
        x = self.ln(self.word(ids) + self.pos.weight[: ids.shape[1]] + self.token_type.weight[0])
        for layer in self.layers:
            x = layer(x)
        return x


model = Bert().eval().to(dev)
ids = torch.randint(0, V, (B, T), device=dev)
best = 0.0
with torch.no_grad():
    for i in range(7):
        t0 = time.perf_counter()
        model(ids).sum().item()
        if i >= 2:
            best = max(best, B / (time.perf_counter() - t0))
print(json.dumps({"bench": "bert", "backend": "torch " + torch.__version__ + " " + dev.type, "threads": threads,
                  "sequences_per_s": best}), flush=True)
