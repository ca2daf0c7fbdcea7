"""Cost and accuracy of locating quotes as quotes-semantic-search does (the notebook's own functions).

    .venv/bin/python benchmarks/quote_location.py [--sizes 24 300 1000] [--quotes 4] [--threads 2]

1. **Cost** for transcripts of several lengths (sentences recombined, seeded, from every English
   script in ``data/scripts``; three sentences a turn): how many windows of one to three sentences
   they make, the time to embed them with the local model (the index, built once per transcript),
   and the time to locate a batch of quotes (embedding the quotes plus the nearest-neighbour search)
   and give them verdicts. The model's load time is reported once.
2. **Accuracy** on the podcast clip's sentences: every window of one to three sentences used as a
   quote must come back at its own span (start of its first sentence, end of its last) and as
   ``verbatim``; and the notebook's reference quotes must get the verdicts the notebook shows.

Figures depend on the machine and on what else runs on it: run it where you want to know them.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tools.notebook_code import load_definitions  # noqa: E402

SENTENCE = re.compile(r"(?<=[.?!])\s+")
EXPECTED = ["verbatim", "verbatim", "paraphrase", "not in the transcript"]


def english_sentences() -> list[str]:
    found = []
    for path in sorted((ROOT / "data" / "scripts").glob("*.yaml")):
        script = yaml.safe_load(path.read_text())
        if script.get("language_code") == "en":
            found += [s for turn in script["turns"] for s in SENTENCE.split(turn["text"]) if s.strip()]
    return found


def transcript(pool: list[str], n: int, seed: int = 7) -> list[SimpleNamespace]:
    """``n`` sentences, three a turn, speakers alternating, 3 s each."""
    rng = random.Random(seed)
    return [
        SimpleNamespace(text=rng.choice(pool), speaker="AB"[i // 3 % 2], start=3000 * i, end=3000 * i + 2800)
        for i in range(n)
    ]


def podcast_sentences() -> list[SimpleNamespace]:
    """The podcast clip's sentences as the emulator's sentences endpoint gives them (from its cassette)."""
    cassette = yaml.safe_load((ROOT / "data" / "cassettes" / "quotes-semantic-search.yaml").read_text())
    for interaction in cassette["interactions"]:
        if interaction["request"]["uri"].endswith("/sentences"):
            body = json.loads(interaction["response"]["body"]["string"])
            return [
                SimpleNamespace(**{k: s[k] for k in ("text", "speaker", "start", "end")}) for s in body["sentences"]
            ]
    raise SystemExit("no sentences in the cassette: record the notebook first (make record-emulator)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[24, 300], help="sentences per transcript")
    parser.add_argument("--quotes", type=int, default=4, help="quotes located per batch")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    began = time.perf_counter()
    # The notebook's own embed(), with the model it loads in its Step 4 (minilm = local_model()).
    lesson = ["sentence_windows", "locate", "verdict", "embed"]
    nb = load_definitions("quotes-semantic-search", lesson, ("THRESHOLD", "minilm"))
    embed = nb["embed"]
    embed(["warm up"])
    print(f"local model loaded in {time.perf_counter() - began:.1f} s ({args.threads} threads)")

    pool = english_sentences()
    quotes_pool = [s for s in pool if len(s.split()) >= 6]
    print(f"{'sentences':>9} {'windows':>8} {'embed windows':>14} {'per window':>11} {'locate+verdict':>15}")
    for n in args.sizes:
        sentences = transcript(pool, n)
        windows = nb["sentence_windows"](sentences)
        began = time.perf_counter()
        vectors = embed([w["text"] for w in windows])
        indexed = time.perf_counter() - began
        quotes = random.Random(n).sample(quotes_pool, args.quotes)
        began = time.perf_counter()
        hits = nb["locate"](quotes, windows, vectors, embed)
        [nb["verdict"](hit) for hit in hits]
        located = time.perf_counter() - began
        print(
            f"{n:9d} {len(windows):8d} {indexed:12.2f} s {1000 * indexed / len(windows):8.2f} ms "
            f"{1000 * located:12.1f} ms"
        )

    sentences = podcast_sentences()
    windows = nb["sentence_windows"](sentences)
    vectors = embed([w["text"] for w in windows])
    hits = nb["locate"]([w["text"] for w in windows], windows, vectors, embed)
    exact = sum(
        (h["start"], h["end"]) == (w["start"], w["end"]) and nb["verdict"](h) == "verbatim"
        for h, w in zip(hits, windows, strict=True)
    )
    spans = sum(w["sentences"] > 1 for w in windows)
    print(f"podcast: {exact} of {len(windows)} windows ({spans} of 2-3 sentences) found at their own span, verbatim")
    answer = json.loads((ROOT / "data" / "answers" / "quotes-semantic-search" / "1.json").read_text())
    hits = nb["locate"]([q["quote"] for q in answer["quotes"]], windows, vectors, embed)
    verdicts = [nb["verdict"](h) for h in hits]
    scores = ", ".join(f"{h['similarity']:.2f}" for h in hits)
    print(f"reference quotes: similarities {scores}; verdicts as expected: {verdicts == EXPECTED}")


if __name__ == "__main__":
    main()
