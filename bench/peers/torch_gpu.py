#!/usr/bin/env python3
"""The peer of GpuBenchmark.java on the same GPU in the same run (PyTorch eager, float32 unless stated, TF32 off as in
t4j): square GEMMs in float32 and bfloat16; GPT-2 small training (batch 8 x 512, AdamW, dropout off) with the
materialising attention t4j's composite path uses and with F.scaled_dot_product_attention; GPT-2 small greedy decode
with a key/value cache (32-token prompt, 64 new tokens, best of 8); causal attention alone, forward and backward,
4 x 12 heads of 64 at 1,024-4,096 tokens, materialised and through F.scaled_dot_product_attention. One JSON line
per figure; argv[1] picks gemm|train|decode|attention|all."""
import json
import os
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

which = sys.argv[1] if len(sys.argv) > 1 else "all"
dev = torch.device(os.environ.get("T4J_PEER_DEVICE", "cuda"))  # cpu only to try the script out


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(0)
V, P, C, L, H = 50257, 1024, 768, 12, 12


def emit(**kv):
    print(json.dumps({"backend": "torch " + torch.__version__, **kv}), flush=True)


def gemm(n, dtype):
    a = torch.randn(n, n, device=dev, dtype=dtype)
    b = torch.randn(n, n, device=dev, dtype=dtype)
    for _ in range(3):
        a @ b
    sync()
    t0 = time.perf_counter()
    for _ in range(10):
        a @ b
    sync()
    s = (time.perf_counter() - t0) / 10
    emit(bench="gemm", dtype=str(dtype).replace("torch.", ""), n=n, tflops=round(2 * n ** 3 / s / 1e12, 1))


class Block(nn.Module):
    def __init__(self, sdpa):
        super().__init__()
        self.sdpa = sdpa
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x, cache=None):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q = q.view(b, t, H, c // H).transpose(1, 2)
        k = k.view(b, t, H, c // H).transpose(1, 2)
        v = v.view(b, t, H, c // H).transpose(1, 2)
        if cache is not None:
            k = torch.cat([cache[0], k], 2)
            v = torch.cat([cache[1], v], 2)
        if self.sdpa:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=t > 1 and cache is None)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(c // H)
            if t > 1:
                mask = torch.triu(torch.ones(t, k.shape[2], dtype=torch.bool, device=dev), k.shape[2] - t + 1)
                att = att.masked_fill(mask, float("-inf"))
            y = att.softmax(-1) @ v
        y = y.transpose(1, 2).reshape(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")), (k, v)


class GPT(nn.Module):
    def __init__(self, sdpa=False):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(P, C)
        self.h = nn.ModuleList([Block(sdpa) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)

    def forward(self, ids, past=None, pos=0, last_only=False):
        x = self.wte(ids) + self.wpe.weight[pos:pos + ids.shape[1]]
        new = []
        for i, blk in enumerate(self.h):
            x, kv = blk(x, past[i] if past else None)
            new.append(kv)
        x = self.ln_f(x[:, -1:] if last_only else x)
        return x @ self.wte.weight.t(), new


def train(sdpa):
    B, T = 8, 512
    model = GPT(sdpa).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, V, (B, T + 1), device=dev)

    def step():
        logits, _ = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for _ in range(3):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(10):
        loss = step()
    sync()
    s = time.perf_counter() - t0
    emit(bench="train", model="gpt2-small", attention="sdpa" if sdpa else "materialised", batch=B, seq=T,
         tokens_per_s=round(10 * B * T / s), step_ms=round(s / 10 * 1e3, 1), last_loss=round(loss.item(), 3))


@torch.no_grad()
def decode():
    model = GPT().to(dev).eval()
    prompt = torch.randint(0, V, (1, 32), device=dev)
    best = 0
    for _ in range(8):
        logits, past = model(prompt, last_only=True)
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        nxt.item()
        pos = prompt.shape[1]
        t0 = time.perf_counter()
        for _ in range(63):
            logits, past = model(nxt, past, pos, last_only=True)
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            nxt.item()  # the token goes back to the host each step, as a streaming generator's does
            pos += 1
        best = max(best, 63 / (time.perf_counter() - t0))
    emit(bench="decode", model="gpt2-small", tokens_per_s=round(best, 1))


def attention(t, path):
    b, h, d = 4, 12, 64
    q, k, v = (torch.randn(b, h, t, d, device=dev, requires_grad=True) for _ in range(3))
    mask = torch.full((t, t), float("-inf"), device=dev).triu(1)

    def step():
        if path == "sdpa":
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            out = torch.softmax(q @ k.transpose(-1, -2) * d ** -0.5 + mask, dim=-1) @ v
        out.sum().backward()

    for _ in range(2):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(5):
        step()
    sync()
    emit(bench="attention", path=path, seq=t, ms=round((time.perf_counter() - t0) / 5 * 1e3, 2))


def guarded(what, fn, *args):
    """Each figure on its own: one failure must not cost the others their GPU time."""
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - reported, then the next figure
        emit(bench=what, error=repr(e))


if which in ("all", "gemm"):
    for n in (2048, 4096, 8192):
        guarded(f"gemm float32 {n}", gemm, n, torch.float32)
        guarded(f"gemm bfloat16 {n}", gemm, n, torch.bfloat16)
if which in ("all", "train"):
    guarded("train materialised", train, False)
    guarded("train sdpa", train, True)
if which in ("all", "decode"):
    guarded("decode", decode)
if which in ("all", "attention"):
    for t in (1024, 2048, 4096):
        guarded(f"attention materialised {t}", attention, t, "materialised")
        guarded(f"attention sdpa {t}", attention, t, "sdpa")
