"""Throughput, memory and retrieval quality of the local embedder and the passage search.

The passages are cut by the transcript-citations recipe's own ``passages_from`` and ``sliding_windows``
(loaded from the notebook), and searched with ``benchmarks/cosine_index.py``'s exact index.

    .venv/bin/python benchmarks/embeddings.py [--hours 10] [--queries 300] [--threads N] [--openai]

1. **Speed and memory** on a synthetic corpus as long as ``--hours`` of speech: sentences made by
   recombining the sentences of every English script in ``data/scripts`` (seeded), at the words per
   second the synthesised recordings actually have. Reports sentences per second embedded (which is
   building the index), queries per second searched (with and without embedding the query, one at a
   time and in one batch), and the peak resident memory added by loading the model and indexing.
2. **Retrieval quality** on ``data/retrieval/interview-questions.yaml``: each question's answering
   sentence in one of the three customer interviews; top-1 and top-3 hit rates for several ways of
   cutting the transcripts into passages. ``--openai`` adds OpenAI's model through the recipe's own
   ``embed_openai`` (needs OPENAI_API_KEY).

Figures depend on the machine, and on what else runs on it (torch's threads spin while they wait, so a
busy machine slows the default two threads far more than one): run it where you want to know them.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from benchmarks.cosine_index import ModelEmbedder, PassageIndex  # noqa: E402
from tools.emulator import conversations  # noqa: E402
from tools.notebook_code import load_definitions  # noqa: E402

LESSON = load_definitions("transcript-citations", ["Passage", "passages_from", "sliding_windows", "embed_openai"])
Passage, passages_from, sliding_windows = LESSON["Passage"], LESSON["passages_from"], LESSON["sliding_windows"]

SENTENCE = re.compile(r"(?<=[.?!])\s+")


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmRSS``) or its peak so far (``VmHWM``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def speech_rate() -> float:
    """Words per second over every synthesised recording."""
    words = duration = 0
    for path in (ROOT / "data" / "scripts").glob("*.timing.json"):
        conversation = conversations.Conversation.load(path)
        if conversation.language_code == "en":
            words += len(conversation.words)
            duration += conversation.duration_ms
    return words / (duration / 1000)


def synthetic_corpus(hours: float, seed: int = 7) -> list[Passage]:
    """Sentences for ``hours`` of speech, in one-hour transcripts, with times at the measured rate."""
    source = []
    for path in sorted((ROOT / "data" / "scripts").glob("*.yaml")):
        script = yaml.safe_load(path.read_text())
        if script.get("language_code") == "en":
            source += [s for turn in script["turns"] for s in SENTENCE.split(turn["text"]) if len(s.split()) >= 3]
    rng = random.Random(seed)
    rate = speech_rate()
    target_ms, hour_ms = hours * 3_600_000, 3_600_000
    passages, clock = [], 0
    while clock < target_ms:
        first, second = rng.choice(source).split(), rng.choice(source).split()
        words = first[: rng.randint(2, len(first))] + second[rng.randint(0, len(second) - 1) :]
        text = " ".join(words)
        length = int(len(words) / rate * 1000)
        passages.append(Passage(f"hour-{clock // hour_ms + 1:02d}", text, clock % hour_ms, clock % hour_ms + length))
        clock += length + 300
    return passages


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def speed(hours: float, n_queries: int, bare_mb: float) -> None:
    baseline = rss_mb()
    corpus = synthetic_corpus(hours)
    words = sum(len(p.text.split()) for p in corpus)
    print(f"Corpus: {hours:g} h of speech at {speech_rate():.2f} words/s = {len(corpus)} sentences, {words} words")

    embedder, load_s = timed(ModelEmbedder)
    loaded = rss_mb()
    embedder.embed([p.text for p in corpus[:64]])  # warm-up
    index, index_s = timed(PassageIndex, corpus, embedder)
    print(f"Model load: {load_s:.1f} s, +{loaded - baseline:.0f} MB resident (sentence-transformers and the weights)")
    print(
        f"Embedding (= building the index): {len(corpus)} sentences in {index_s:.1f} s -> "
        f"{len(corpus) / index_s:.0f} sentences/s ({hours * 3600 / index_s:.0f}x real time)"
    )

    rng = random.Random(11)
    queries = [p.text for p in rng.sample(corpus, n_queries)]
    for query in queries[:5]:
        index.search(query)  # warm-up, and builds the whole-index search
    vectors, embed_q_s = timed(embedder.embed, queries)
    _, one_by_one_s = timed(lambda: [index.search(q, k=3) for q in queries])
    _, batch_s = timed(index.search_many, queries, 3)
    _, vectors_one_s = timed(lambda: [index.search_vectors(vectors[i : i + 1], 3) for i in range(len(queries))])
    _, vectors_batch_s = timed(index.search_vectors, vectors, 3)
    n = len(queries)
    print(f"Search over {len(index)} passages, k=3, {n} queries:")
    print(f"  one query at a time, embedding included: {n / one_by_one_s:7.0f} queries/s")
    print(f"  one batch, embedding included:           {n / batch_s:7.0f} queries/s")
    print(f"  one query at a time, search only:        {n / vectors_one_s:7.0f} queries/s")
    print(f"  one batch, search only:                  {n / vectors_batch_s:7.0f} queries/s")
    print(f"  (embedding the {n} queries alone: {n / embed_q_s:.0f} queries/s)")
    peak = rss_mb("VmHWM")
    print(
        f"Memory: peak resident {peak:.0f} MB: +{peak - bare_mb:.0f} MB over the bare interpreter ({bare_mb:.0f} MB), "
        f"+{peak - baseline:.0f} MB over the interpreter with torch imported ({baseline:.0f} MB); the vectors "
        f"themselves take {index.vectors.nbytes / 2**20:.1f} MB ({index.vectors.shape[0]} x {index.vectors.shape[1]} "
        "float32)"
    )


def interview_passages(variant: str) -> list[Passage]:
    """The three interviews, cut one way. Interviewees are speaker B (the researcher speaks first)."""
    labelled = yaml.safe_load((ROOT / "data" / "retrieval" / "interview-questions.yaml").read_text())
    passages: list[Passage] = []
    for name in labelled["transcripts"]:
        conversation = conversations.Conversation.load(ROOT / "data" / "scripts" / f"{name}.timing.json")
        words = conversations.transcript_words(conversation, {"speaker_labels": True})
        if variant == "turns, interviewee":
            turns = [SimpleNamespace(**u) for u in conversations.utterances(words)]
            passages += [p for p in passages_from(name, turns) if p.speaker == "B"]
            continue
        sentences = passages_from(name, [SimpleNamespace(**s) for s in conversations.sentences(words)], min_words=4)
        if variant == "sentences, both speakers":
            passages += sentences
        elif variant == "sentences, interviewee":
            passages += [p for p in sentences if p.speaker == "B"]
        elif variant == "2-sentence windows, interviewee":
            passages += [p for p in sliding_windows(sentences, 2) if p.speaker == "B"]  # windows end at a turn
        else:
            raise ValueError(variant)
    return passages


VARIANTS = [
    "sentences, both speakers",
    "sentences, interviewee",
    "2-sentence windows, interviewee",
    "turns, interviewee",
]


def quality(embedders: dict) -> None:
    labelled = yaml.safe_load((ROOT / "data" / "retrieval" / "interview-questions.yaml").read_text())
    questions = labelled["questions"]
    print(f"\nRetrieval quality: {len(questions)} labelled questions over {len(labelled['transcripts'])} interviews")
    print(f"  {'embedder':32s} {'passages':34s} {'n':>4s} {'top-1':>6s} {'top-3':>6s} {'MRR@3':>6s}")
    for name, embedder in embedders.items():
        for variant in VARIANTS:
            passages = interview_passages(variant)
            index = PassageIndex(passages, embedder)
            results = index.search_many([q["question"] for q in questions], k=3)
            ranks = []
            for question, hits in zip(questions, results, strict=True):
                found = [
                    h.rank
                    for h in hits
                    if h.transcript_id == question["transcript"] and question["answer"] in " ".join(h.text.split())
                ]
                ranks.append(min(found) if found else None)
            top1 = sum(r == 1 for r in ranks) / len(ranks)
            top3 = sum(r is not None for r in ranks) / len(ranks)
            mrr = statistics.mean(1 / r if r else 0 for r in ranks)
            print(f"  {name:32s} {variant:34s} {len(passages):4d} {top1:6.0%} {top3:6.0%} {mrr:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=10.0, help="length of the synthetic corpus")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--openai", action="store_true", help="also measure quality with OpenAI's model")
    parser.add_argument("--threads", type=int, help="torch's CPU threads (default: torch's own choice)")
    args = parser.parse_args()

    bare_mb = rss_mb()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"CPU cores: {os.cpu_count()}, torch {torch.__version__} with {torch.get_num_threads()} threads")
    speed(args.hours, args.queries, bare_mb)

    embedders = {"all-MiniLM-L6-v2 (local)": ModelEmbedder()}
    if args.openai:
        embedders["text-embedding-3-small (OpenAI)"] = SimpleNamespace(name="openai", embed=LESSON["embed_openai"])
    quality(embedders)


if __name__ == "__main__":
    main()
