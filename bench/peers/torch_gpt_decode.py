#!/usr/bin/python3
"""GPT-2 small generation in PyTorch eager with a key/value cache (Debian python3-torch), the peer of
GptDecodeThroughput.java: 124 M parameters, random weights, float32, batch 1, 32-token prompt, 64 new tokens
greedily; decode tokens/s after the first new token, best of 8 (as t4j, whose JIT warms up). Prints {"threads": T, "tokens_per_s": X}."""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)
V, P, C, L, H = 50257, 1024, 768, 12, 12


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x, cache):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q = q.view(b, t, H, c // H).transpose(1, 2)
        k = k.view(b, t, H, c // H).transpose(1, 2)
        v = v.view(b, t, H, c // H).transpose(1, 2)
        if cache is not None:
            k = torch.cat([cache[0], k], 2)
            v = torch.cat([cache[1], v], 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // H)
        if t > 1:
            att = att.masked_fill(torch.triu(torch.ones(t, k.shape[2], dtype=torch.bool), k.shape[2] - t + 1),
                                  float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")), (k, v)


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(P, C)
        self.h = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)

    def forward(self, ids, past, pos):
        x = self.wte(ids) + self.wpe.weight[pos:pos + ids.shape[1]]
        new = []
        for i, blk in enumerate(self.h):
            x, kv = blk(x, past[i] if past else None)
            new.append(kv)
        return self.ln_f(x[:, -1:]) @ self.wte.weight.t(), new


model = GPT().eval()
prompt = torch.randint(0, V, (1, 32))
best = 0.0
with torch.no_grad():
    for _ in range(8):
        logits, past = model(prompt, None, 0)
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        t0 = time.perf_counter()
        pos = prompt.shape[1]
        for _ in range(63):
            logits, past = model(nxt, past, pos)
            pos += 1
            nxt = logits[:, -1].argmax(-1, keepdim=True)
        best = max(best, 63 / (time.perf_counter() - t0))
print(json.dumps({"threads": threads, "tokens_per_s": best}), flush=True)
