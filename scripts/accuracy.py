#!/usr/bin/env python3
"""Accuracy of `intent-service match` batch mode on labeled questions.

Usage: scripts/accuracy.py CORPUS QUESTIONS.jsonl [--binary PATH] [-- extra match options]

Each question is {"question": ..., "expected": <faq id> | null}. A question is
correct when the decision answers the expected id (status matched or keyword),
or, for expected null, when it answers no entry. top1 is the share of in-scope
questions whose first candidate is the expected id, whatever the policy decided.
"""
import json
import subprocess
import sys


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[: args.index("--")]
    binary = ".build/release/intent-service"
    if "--binary" in args:
        i = args.index("--binary")
        binary = args[i + 1]
        del args[i : i + 2]
    corpus, questions_path = args
    questions = [json.loads(l) for l in open(questions_path, encoding="utf-8") if l.strip()]
    stdin = "".join(q["question"].replace("\n", " ") + "\n" for q in questions)
    out = subprocess.run(
        [binary, "match", "--corpus", corpus, *extra], input=stdin, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(out) == len(questions), (len(out), len(questions))
    correct = top1 = inscope = oos = oos_ok = 0
    for q, line in zip(questions, out):
        d = json.loads(line)
        answered = d["id"] if d["status"] in ("matched", "keyword") else None
        correct += answered == q["expected"]
        if q["expected"] is None:
            oos += 1
            oos_ok += answered is None
        else:
            inscope += 1
            top1 += bool(d["candidates"]) and d["candidates"][0]["id"] == q["expected"]
    n = len(questions)
    print(f"questions {n}  accuracy {correct / n:.4f} ({correct}/{n})", end="")
    if inscope:
        print(f"  top1 {top1 / inscope:.4f} ({top1}/{inscope})", end="")
    if oos:
        print(f"  oos_recall {oos_ok / oos:.4f} ({oos_ok}/{oos})", end="")
    print()


if __name__ == "__main__":
    main()
