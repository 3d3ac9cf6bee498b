#!/usr/bin/python3
"""t5-small in PyTorch eager (Debian python3-torch), the peer of T5Throughput.java: 60 M parameters, random weights,
float32, batch 1; the encoder over 512 tokens timed alone, then 64 tokens generated greedily with the decoder's
self-attention cache and cross-attention keys/values computed once; decode tokens/s counts the tokens after the
first over the time after the first; request tokens/s the 64 tokens over the whole time from the encoder's start.
Best of 7 after a warm-up round (as t4j, whose JIT warms up). The layers follow Hugging Face's T5 (RMS norm
without mean, no attention scaling, relative position buckets in the first layer of each stack, ReLU feed-forward,
tied head rescaled by d_model^-0.5). Prints {"threads": T, "encode_tokens_per_s": X, "decode_tokens_per_s": Y,
"request_tokens_per_s": Z}.
T4J_PEER_DEVICE=cuda runs it on the GPU (scripts/gpu-check.sh); each generated token is read back to the host, as
t4j's streaming generator does.

With argv[2] = train, the peer of T5TrainThroughput.java instead: training steps on batches of 2 inputs of 512 tokens
and targets of 64 (teacher forcing, cross-entropy over the logits, AdamW), with t5-small's dropout 0.1 where Hugging
Face's T5 has it (embeddings, attention probabilities, each sub-layer's output, inside the feed-forward, after each
stack's final norm); 4 steps timed after 3 of warm-up. Prints {"threads": T, "input_tokens_per_s": X}."""
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
dev = torch.device(os.environ.get("T4J_PEER_DEVICE", "cpu"))
torch.manual_seed(0)
# Denormal floats flushed to zero, unless T4J_PEER_DENORMALS=keep: on Intel cores a product that meets them runs
# several times slower (as torch_gpt_train.py's did, BENCHMARKS.md); t4j's softmax and cross-entropy gradient flush
# them, so neither side pays for them.
torch.set_flush_denormal(os.environ.get("T4J_PEER_DENORMALS") != "keep")
train = len(sys.argv) > 2 and sys.argv[2] == "train"
P = 0.1 if train else 0.0
V, D, KV, FF, L, H, BUCKETS, MAXD = 32128, 512, 64, 2048, 6, 8, 32, 128


class RMSNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(D))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


def bucket(rel, bidirectional):
    n, ret = BUCKETS, torch.zeros_like(rel)
    if bidirectional:
        n //= 2
        ret = ret + (rel > 0).long() * n
        rel = rel.abs()
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    exact = n // 2
    large = exact + (torch.log(rel.float() / exact) / math.log(MAXD / exact) * (n - exact)).long()
    large = torch.min(large, torch.full_like(large, n - 1))
    return ret + torch.where(rel < exact, rel, large)


class Attention(nn.Module):
    def __init__(self, bias, bidirectional):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(D, H * KV, bias=False) for _ in range(4))
        self.rel = nn.Embedding(BUCKETS, H) if bias else None
        self.bidirectional = bidirectional

    def position_bias(self, q_len, k_len, offset):
        ctx = torch.arange(offset, offset + q_len, device=self.rel.weight.device)[:, None]
        mem = torch.arange(k_len, device=self.rel.weight.device)[None, :]
        return self.rel(bucket(mem - ctx, self.bidirectional)).permute(2, 0, 1)[None]

    def heads(self, x):
        return x.view(x.shape[0], -1, H, KV).transpose(1, 2)

    def forward(self, x, kv_source=None, cache=None, bias=None):
        q = self.heads(self.q(x))
        if kv_source is not None:  # cross-attention: keys/values of the encoder output, computed once
            if cache is None:
                cache = (self.heads(self.k(kv_source)), self.heads(self.v(kv_source)))
            k, v = cache
        else:
            k, v = self.heads(self.k(x)), self.heads(self.v(x))
            if cache is not None:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            cache = (k, v)
        scores = q @ k.transpose(-2, -1)
        if bias is not None:
            scores = scores + bias
        y = (F.dropout(scores.softmax(-1), P, self.training) @ v).transpose(1, 2).reshape(x.shape[0], -1, H * KV)
        return self.o(y), cache


class Block(nn.Module):
    def __init__(self, first, decoder):
        super().__init__()
        self.ln1, self.self_attn = RMSNorm(), Attention(first, not decoder)
        self.cross = (RMSNorm(), Attention(False, False)) if decoder else None
        if decoder:
            self.ln2, self.cross_attn = self.cross
        self.ln3, self.wi, self.wo = RMSNorm(), nn.Linear(D, FF, bias=False), nn.Linear(FF, D, bias=False)

    def forward(self, x, bias, memory=None, cache=None):
        cache = cache or (None, None)
        h, self_kv = self.self_attn(self.ln1(x), cache=cache[0], bias=bias)
        x = x + F.dropout(h, P, self.training)
        cross_kv = None
        if memory is not None:
            h, cross_kv = self.cross_attn(self.ln2(x), kv_source=memory, cache=cache[1])
            x = x + F.dropout(h, P, self.training)
        h = self.wo(F.dropout(F.relu(self.wi(self.ln3(x))), P, self.training))
        return x + F.dropout(h, P, self.training), (self_kv, cross_kv)


class T5(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.Embedding(V, D)
        self.enc = nn.ModuleList([Block(i == 0, False) for i in range(L)])
        self.dec = nn.ModuleList([Block(i == 0, True) for i in range(L)])
        self.enc_ln, self.dec_ln = RMSNorm(), RMSNorm()

    def encode(self, ids):
        x = F.dropout(self.shared(ids), P, self.training)
        bias = self.enc[0].self_attn.position_bias(ids.shape[1], ids.shape[1], 0)
        for blk in self.enc:
            x, _ = blk(x, bias)
        return F.dropout(self.enc_ln(x), P, self.training)

    def forward(self, ids, decoder_ids):
        """Teacher-forced logits: the decoder over all of decoder_ids at once, causal, as Hugging Face trains."""
        memory = self.encode(ids)
        t = decoder_ids.shape[1]
        x = F.dropout(self.shared(decoder_ids), P, self.training)
        causal = torch.triu(torch.full((t, t), torch.finfo(torch.float32).min, device=x.device), 1)
        bias = self.dec[0].self_attn.position_bias(t, t, 0) + causal
        for blk in self.dec:
            x, _ = blk(x, bias, memory)
        return (F.dropout(self.dec_ln(x), P, self.training) * D ** -0.5) @ self.shared.weight.t()

    def decode(self, ids, memory, caches, pos):
        x = self.shared(ids)
        bias = self.dec[0].self_attn.position_bias(1, pos + 1, pos)
        new = []
        for i, blk in enumerate(self.dec):
            x, kv = blk(x, bias, memory, caches[i] if caches else None)
            new.append(kv)
        return (self.dec_ln(x) * D ** -0.5) @ self.shared.weight.t(), new


if train:
    model = T5().train().to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, 32000, (2, 512), device=dev)
    labels = torch.randint(0, 32000, (2, 64), device=dev)
    decoder_ids = torch.cat([torch.zeros(2, 1, dtype=torch.long, device=dev), labels[:, :-1]], 1)

    def step():
        loss = F.cross_entropy(model(ids, decoder_ids).reshape(-1, V), labels.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(4):
        step()
    print(json.dumps({"bench": "t5 train", "backend": "torch " + torch.__version__ + " " + dev.type,
                      "threads": threads, "input_tokens_per_s": 4 * 2 * 512 / (time.perf_counter() - t0)}), flush=True)
    sys.exit(0)
model = T5().eval().to(dev)
ids = torch.randint(2, 32002, (1, 512), device=dev)
encode_best = decode_best = request_best = 0.0
with torch.no_grad():
    for rnd in range(8):
        t0 = time.perf_counter()
        model.encode(ids).sum().item()
        if rnd > 0:
            encode_best = max(encode_best, 512 / (time.perf_counter() - t0))
        request_start = time.perf_counter()
        memory = model.encode(ids)
        logits, caches = model.decode(torch.zeros(1, 1, dtype=torch.long, device=dev), memory, None, 0)
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        nxt.item()
        t0 = time.perf_counter()
        for pos in range(1, 64):
            logits, caches = model.decode(nxt, memory, caches, pos)
            nxt = logits[:, -1].argmax(-1, keepdim=True)
            nxt.item()
        if rnd > 0:
            end = time.perf_counter()
            decode_best = max(decode_best, 63 / (end - t0))
            request_best = max(request_best, 64 / (end - request_start))
print(json.dumps({"bench": "t5", "backend": "torch " + torch.__version__ + " " + dev.type, "threads": threads,
                  "encode_tokens_per_s": encode_best, "decode_tokens_per_s": decode_best,
                  "request_tokens_per_s": request_best}), flush=True)
