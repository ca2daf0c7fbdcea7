"""Speaker recipes, measured: the local diarizer's accuracy, cross-chunk matching, alignment speed.

    .venv/bin/python benchmarks/diarization.py [--repeats 5] [--skip-models]

1. **Diarization quality.** The local backend (resemblyzer + scikit-learn) on the shipped
   conversations, without and with the number of speakers, clean and with white noise added (the
   shipped audio is synthetic and clean, which flatters any diarizer). Each script word gets the
   speaker of the diarization by largest overlap; the score is the share of words whose speaker
   matches the script's, after mapping the diarizer's labels onto the script's one-to-one in the
   way that matches most (Hungarian method).
2. **Cross-chunk matching.** The three parts of ``bakery-planning``, labelled per part as the API
   labels them, relabelled by the ``nemo-async-chunking`` notebook's own ``longest_monologues`` and
   ``match_speakers`` (clean and with noise): how many (part, speaker) labels and how many speakers
   end up as in the script, and the margin between the cosine similarities of two fingerprints of
   one speaker (from different parts) and of two different speakers.
3. **Alignment speed.** A synthetic one-hour transcript (10,000 words, 1,500 segments, with gaps,
   overlaps and words outside every segment): the vectorised assignment against the per-word rule
   written out in the ``pyannote-speaker-labels`` notebook (``speaker_for``), in one run; the labels
   must be identical.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cookbook_utils.alignment import Segment, assign_speakers  # noqa: E402
from tools.notebook_code import load_definitions  # noqa: E402

CONVERSATIONS = ["team-meeting", "support-call", "bakery-planning"]


def _timing(name: str) -> dict:
    return json.loads((ROOT / "data" / "scripts" / f"{name}.timing.json").read_text())


def with_noise(samples: np.ndarray, snr_db: float | None, seed: int = 0) -> np.ndarray:
    """The audio with white noise added at ``snr_db`` below the speech level (None: unchanged)."""
    if snr_db is None:
        return samples
    speech = samples[np.abs(samples) > 0.01]
    level = float(np.sqrt(np.mean(np.square(speech, dtype=np.float64))))
    noise = np.random.default_rng(seed).normal(0, level / 10 ** (snr_db / 20), len(samples))
    return (samples + noise).astype(np.float32)


def diarization_quality(noise_levels: tuple[float | None, ...]) -> list[dict]:
    from cookbook_utils.audio import load_audio
    from cookbook_utils.diarization import diarize_local, speaker_accuracy
    from cookbook_utils.voices import ResemblyzerEmbedder

    embedder = ResemblyzerEmbedder()
    diarize_local(load_audio(ROOT / "data" / "audio" / "clip-fr.mp3"), embedder=embedder)  # warm up
    rows = []
    for snr in noise_levels:
        for name in CONVERSATIONS:
            timing = _timing(name)
            samples = with_noise(load_audio(ROOT / timing["audio"]), snr)
            words = timing["words"]
            truth = [w["speaker"] for w in words]
            for given in (None, len(timing["speakers"])):
                started = time.perf_counter()
                segments = diarize_local(samples, given, embedder=embedder)
                seconds = time.perf_counter() - started
                predicted = assign_speakers([w["start"] for w in words], [w["end"] for w in words], segments)
                accuracy, _ = speaker_accuracy(truth, predicted)
                rows.append(
                    {
                        "conversation": name,
                        "noise": "clean" if snr is None else f"{snr:g} dB",
                        "audio_s": timing["duration_ms"] / 1000,
                        "speakers": len(timing["speakers"]),
                        "given": given,
                        "found": len({s.speaker for s in segments}),
                        "words": len(words),
                        "accuracy": accuracy,
                        "seconds": seconds,
                    }
                )
    return rows


def chunk_matching(snr_db: float | None) -> dict:
    from types import SimpleNamespace

    from cookbook_utils.audio import SAMPLE_RATE, clip, load_audio
    from cookbook_utils.voices import ResemblyzerEmbedder

    lesson = load_definitions("nemo-async-chunking", ["longest_monologues", "match_speakers"])
    parts = [_timing(f"bakery-planning-part{n}") for n in (1, 2, 3)]
    audio = [with_noise(load_audio(ROOT / p["audio"]), snr_db, seed=n) for n, p in enumerate(parts)]
    embedder = ResemblyzerEmbedder()
    started = time.perf_counter()
    fingerprints = []
    for samples, part in zip(audio, parts, strict=True):
        found = lesson["longest_monologues"]([SimpleNamespace(**w) for w in part["words"]])
        fingerprints.append({s: embedder.embed(clip(samples, m["start"], m["end"])) for s, m in found.items()})
    relabel = lesson["match_speakers"](fingerprints, embedder.same_speaker_threshold)
    seconds = time.perf_counter() - started
    pairs = correct = 0
    consistent: dict[str, set] = {}
    heard = []  # (part, true speaker, fingerprint)
    for number, (part, mapping, chunk) in enumerate(zip(parts, relabel, fingerprints, strict=True)):
        truth = part["part_of"]["speakers"]
        for label, global_label in mapping.items():
            pairs += 1
            correct += global_label == truth[label]
            consistent.setdefault(truth[label], set()).add(global_label)
            heard.append((number, truth[label], chunk[label] / np.linalg.norm(chunk[label])))
    same, different = [], []
    for i, (part_a, speaker_a, a) in enumerate(heard):
        for part_b, speaker_b, b in heard[i + 1 :]:
            if part_a != part_b:
                (same if speaker_a == speaker_b else different).append(float(a @ b))
    lengths = [len(samples) * 1000 // SAMPLE_RATE for samples in audio]  # offsets from the decoded audio
    merged = [
        (w["start"] + sum(lengths[:number]), mapping[w["speaker"]])
        for number, (part, mapping) in enumerate(zip(parts, relabel, strict=True))
        for w in part["words"]
    ]
    return {
        "noise": "clean" if snr_db is None else f"{snr_db:g} dB",
        "pairs": pairs,
        "pairs_correct": correct,
        "speakers": len(consistent),
        "speakers_correct": sum(labels == {speaker} for speaker, labels in consistent.items()),
        "merged_equals_script": merged == [(w["start"], w["speaker"]) for w in _timing("bakery-planning")["words"]],
        "threshold": embedder.same_speaker_threshold,
        "lowest_same": min(same),
        "highest_different": max(different),
        "seconds": seconds,
    }


def synthetic_hour(seed: int = 0, words: int = 10_000, segments: int = 1_500) -> tuple[list, list, list[Segment]]:
    """One hour of talk: turns of random length with short gaps and some overlap, and words spread
    over the hour (some fall in the gaps, outside every segment)."""
    rng = np.random.default_rng(seed)
    hour = 3_600_000
    lengths = rng.exponential(1.0, segments)
    ends = np.cumsum(lengths) / lengths.sum() * hour
    starts = np.concatenate([[0.0], ends[:-1]]) + rng.normal(150, 250, segments)  # gaps and overlaps
    starts = np.clip(starts, 0, ends - 1)
    speakers = rng.choice(list("ABCDEF"), segments)
    segs = [Segment(round(a), round(b), str(s)) for a, b, s in zip(starts, ends, speakers, strict=True)]
    ws = np.sort(rng.uniform(0, hour - 1000, words)).round()
    we = ws + rng.integers(80, 700, words)
    return ws.tolist(), we.tolist(), segs


def alignment_speed(repeats: int) -> dict:
    ws, we, segs = synthetic_hour()
    vectorised_runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        fast = assign_speakers(ws, we, segs)
        vectorised_runs.append(time.perf_counter() - started)
    speaker_for = load_definitions("pyannote-speaker-labels", ["speaker_for"])["speaker_for"]
    started = time.perf_counter()
    slow = [speaker_for(a, b, segs) for a, b in zip(ws, we, strict=True)]
    loop_s = time.perf_counter() - started
    if fast != slow:
        differing = sum(a != b for a, b in zip(fast, slow, strict=True))
        raise AssertionError(f"the vectorised assignment and the notebook's rule differ on {differing} words")
    # Words that overlap no segment (they take the nearest one): unlabelled when no gap is allowed.
    outside = sum(label is None for label in assign_speakers(ws, we, segs, max_gap_ms=-1))
    best = min(vectorised_runs)
    return {
        "words": len(ws),
        "segments": len(segs),
        "vectorised_s": best,
        "vectorised_median_s": statistics.median(vectorised_runs),
        "loop_s": loop_s,
        "speedup": loop_s / best,
        "identical": True,
        "outside": outside,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of the vectorised assignment (best is kept)")
    parser.add_argument("--skip-models", action="store_true", help="only the alignment speed (no audio models)")
    parser.add_argument(
        "--noise", type=float, nargs="*", default=[20, 10, 5], help="also with white noise at these SNRs in dB"
    )
    args = parser.parse_args()

    if not args.skip_models:
        print("1. Local diarizer (resemblyzer windows + agglomerative clustering) vs the scripts, word level")
        header = ("conversation", "noise", "audio", "speakers", "given", "found", "words", "accuracy", "time")
        print("   {:<16}{:>7}{:>8}{:>10}{:>7}{:>7}{:>7}{:>10}{:>8}".format(*header))
        for row in diarization_quality((None, *args.noise)):
            given = "-" if row["given"] is None else str(row["given"])
            print(
                f"   {row['conversation']:<16}{row['noise']:>7}{row['audio_s']:>7.1f}s{row['speakers']:>10}{given:>7}"
                f"{row['found']:>7}{row['words']:>7}{row['accuracy']:>9.1%}{row['seconds']:>7.1f}s"
            )
        print("\n2. Cross-chunk matching (bakery-planning, 3 parts, the notebook's code, resemblyzer)")
        print("   noise   labels right   speakers right   merged = script   same-speaker min   other max   threshold")
        for snr in (None, *args.noise):
            m = chunk_matching(snr)
            print(
                f"   {m['noise']:<7} {m['pairs_correct']:>6} of {m['pairs']:<5} {m['speakers_correct']:>8} of "
                f"{m['speakers']:<6} {m['merged_equals_script']!s:>12} {m['lowest_same']:>18.3f} "
                f"{m['highest_different']:>11.3f} {m['threshold']:>11.2f}"
            )
    speed = alignment_speed(args.repeats)
    print(
        f"\n3. Alignment over a synthetic hour: {speed['words']:,} words ({speed['outside']} outside every segment), "
        f"{speed['segments']:,} segments"
    )
    print(f"   vectorised (numpy):       {speed['vectorised_s'] * 1000:.1f} ms (best of {args.repeats})")
    print(f"   notebook's per-word rule: {speed['loop_s'] * 1000:.0f} ms")
    print(f"   speedup: {speed['speedup']:.0f}x; labels identical: {speed['identical']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
