#!/usr/bin/env python3
"""Reference sentence embeddings for a BERT-family sentence-transformers model, computed the
way sentence-transformers does (tokenizer from tokenizer.json, truncation at max_seq_length,
BertModel forward, mean pooling over the attention mask, L2 normalisation) with numpy only.

  neural_reference.py fixtures MODEL_DIR OUT.json   test fixtures: tokens and float64 vectors
  neural_reference.py bench MODEL_DIR               speed of the same model in numpy (float32)

Needs: pip install numpy tokenizers safetensors (no torch)."""
import json, math, os, sys, time

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = [
    "How do I get a refund?",
    "where is my parcel",
    "Where is my order? It was supposed to arrive yesterday!!!",
    "我想把钱要回来",
    "退款需要多长时间？",
    "快递到哪里了，单号是 SF1234567890",
    "Can I pay with 支付宝 (Alipay)?",
    "My card got eaten by the ATM 😡😡",
    "thanks a lot 🙏 谢谢！",
    "Café, naïve résumé — ÀÉÎÕÜ façade",
    "ＦＵＬＬ　ＷＩＤＴＨ　ｔｅｘｔ　１２３",
    "don't won't can't #hashtag @mention e-mail http://example.com/a?b=c",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "   ",
    "😀😀😀",
    "",
    "a",
    " ".join(["refund my order please"] * 80),
    "退货" * 300,
]


def load(model_dir):
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    st = json.load(open(os.path.join(model_dir, "sentence_bert_config.json")))
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    max_len = min(st.get("max_seq_length", 512), cfg["max_position_embeddings"])
    tok.no_padding()
    tok.enable_truncation(max_length=max_len)
    w = load_file(os.path.join(model_dir, "model.safetensors"))
    w = {k[5:] if k.startswith("bert.") else k: v for k, v in w.items()}
    return tok, cfg, w


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    erf = np.vectorize(math.erf) if x.dtype == np.float64 else None
    if erf is not None:
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    from math import sqrt
    # float32 path for the benchmark: numpy has no erf; use the same exact-erf via float64 once.
    return (0.5 * x * (1.0 + np.frompyfunc(math.erf, 1, 1)(x / sqrt(2.0)).astype(np.float32))).astype(np.float32)


def encode(ids, cfg, w, dtype):
    W = lambda name: w[name].astype(dtype, copy=False)
    n = len(ids)
    H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    dh = H // heads
    x = W("embeddings.word_embeddings.weight")[ids] + W("embeddings.position_embeddings.weight")[:n] \
        + W("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, W("embeddings.LayerNorm.weight"), W("embeddings.LayerNorm.bias"), eps)
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        lin = lambda t, name: t @ W(p + name + ".weight").T + W(p + name + ".bias")
        q = lin(x, "attention.self.query").reshape(n, heads, dh).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(n, heads, dh).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(n, heads, dh).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, H)
        x = layer_norm(x + lin(ctx, "attention.output.dense"), W(p + "attention.output.LayerNorm.weight"),
                       W(p + "attention.output.LayerNorm.bias"), eps)
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(h, "output.dense"), W(p + "output.LayerNorm.weight"), W(p + "output.LayerNorm.bias"), eps)
    pooled = x.mean(0)
    return pooled / max(np.linalg.norm(pooled), 1e-12)


def fixtures(model_dir, out):
    tok, cfg, w = load(model_dir)
    cases = []
    for text in SENTENCES:
        e = tok.encode(text)
        vec = encode(e.ids, cfg, w, np.float64)
        cases.append({"text": text, "tokens": e.tokens, "ids": e.ids, "vector": [round(float(v), 8) for v in vec]})
    json.dump({"model": os.path.basename(os.path.normpath(model_dir)), "made_by": "scripts/neural_reference.py",
               "cases": cases}, open(out, "w"), ensure_ascii=False, indent=1)
    print(f"wrote {len(cases)} reference embeddings to {out}")


def bench(model_dir):
    tok, cfg, w = load(model_dir)
    w = {k: v.astype(np.float32) for k, v in w.items()}
    sixteen = "where is my parcel it was supposed to arrive yesterday but"
    ids = tok.encode(sixteen).ids
    for _ in range(3):
        encode(ids, cfg, w, np.float32)
    times = []
    for _ in range(50):
        t = time.perf_counter()
        encode(ids, cfg, w, np.float32)
        times.append(time.perf_counter() - t)
    times.sort()
    print(f"python numpy  single message ({len(ids)} tokens): median {times[len(times)//2]*1e3:.2f} ms")
    batch = [tok.encode(f"question number {i} about my order status and refund").ids for i in range(64)]
    t = time.perf_counter()
    for ids in batch:
        encode(ids, cfg, w, np.float32)
    dt = time.perf_counter() - t
    print(f"python numpy  batch of 64: {64/dt:.0f} messages/s")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "fixtures":
        fixtures(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "bench":
        bench(sys.argv[2])
    else:
        sys.exit(__doc__)
