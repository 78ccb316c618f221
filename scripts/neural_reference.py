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


def erf32(x):
    """Vectorised float32 erf (numpy has none): the rational approximation the Swift encoder
    uses, so the benchmark compares like with like."""
    c = np.clip(x, -4, 4)
    x2 = c * c
    p = np.float32(-2.72614225801306e-10)
    for a in (2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05, -7.34990630326855e-04,
              -2.95459980854025e-03, -1.60960333262415e-02):
        p = p * x2 + np.float32(a)
    q = np.float32(-1.45660718464996e-05)
    for b in (-2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03, -1.42647390514189e-02):
        q = q * x2 + np.float32(b)
    return c * p / q


def gelu(x):
    if x.dtype == np.float64:  # reference: exact erf
        return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    return np.float32(0.5) * x * (np.float32(1) + erf32(x * np.float32(1 / math.sqrt(2.0))))


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


def encode_batch(batch, cfg, w):
    """A padded float32 batch with an attention mask, as transformers runs one."""
    W = lambda name: w[name]
    b, n = len(batch), max(len(ids) for ids in batch)
    H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    dh = H // heads
    ids = np.zeros((b, n), np.int64)
    mask = np.zeros((b, n), np.float32)
    for i, seq in enumerate(batch):
        ids[i, :len(seq)] = seq
        mask[i, :len(seq)] = 1
    x = W("embeddings.word_embeddings.weight")[ids] + W("embeddings.position_embeddings.weight")[:n] \
        + W("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, W("embeddings.LayerNorm.weight"), W("embeddings.LayerNorm.bias"), eps)
    additive = ((1 - mask) * np.finfo(np.float32).min)[:, None, None, :]
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        lin = lambda t, name: t @ W(p + name + ".weight").T + W(p + name + ".bias")
        split = lambda t: t.reshape(b, n, heads, dh).transpose(0, 2, 1, 3)
        q, k, v = (split(lin(x, f"attention.self.{part}")) for part in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(dh)) + additive
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b, n, H)
        x = layer_norm(x + lin(ctx, "attention.output.dense"), W(p + "attention.output.LayerNorm.weight"),
                       W(p + "attention.output.LayerNorm.bias"), eps)
        x = layer_norm(x + lin(gelu(lin(x, "intermediate.dense")), "output.dense"), W(p + "output.LayerNorm.weight"),
                       W(p + "output.LayerNorm.bias"), eps)
    pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


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
    sixteen = "where is my parcel it was supposed to arrive yesterday but it did not"
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
    check = encode_batch(batch[:2], cfg, w)
    assert abs(float(check[0] @ encode(batch[0], cfg, w, np.float32)) - 1) < 1e-4, "padded batch disagrees"
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        encode_batch(batch, cfg, w)
        best = min(best, time.perf_counter() - t)
    print(f"python numpy  batch of 64 (padded, masked): {64/best:.0f} messages/s (best of 5, {best*1e3:.1f} ms per batch)")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "fixtures":
        fixtures(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "bench":
        bench(sys.argv[2])
    else:
        sys.exit(__doc__)
