"""Consistent speaker labels across separately transcribed chunks of one recording.

A long recording transcribed in chunks comes back with labels per chunk: ``A`` in the second chunk
is whoever spoke first *in that chunk*. To relabel them consistently:

1. for each chunk and speaker, take that speaker's **longest monologue** (the longest run of
   consecutive words by them), clip it from the chunk's audio and embed it
   (:mod:`cookbook_utils.voices`);
2. go through the chunks in order, keeping the known speakers' embeddings. A chunk's speakers are
   paired one-to-one with known speakers so that the total cosine similarity is largest (the
   Hungarian method; two speakers of one chunk are different people, so they never share a known
   speaker). A pair is accepted when its similarity reaches the threshold; a speaker left without an
   accepted pair is **new** and gets the next free letter. An accepted match refines the known
   speaker's embedding (the mean of all its matches);
3. the chunks' words are merged with global labels and times shifted by each chunk's offset.

:func:`match_speakers` is step 2 on plain vectors; :func:`match_chunks` runs all three.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audio import SAMPLE_RATE, clip, load_audio
from .diarization import speaker_letters
from .items import item_as_dict, item_field
from .vectors import unit_rows

#: Longest stretch of a monologue that is embedded; more adds little and costs time.
MAX_CLIP_MS = 20_000


@dataclass(frozen=True)
class Monologue:
    """The longest run of consecutive words by one speaker in one chunk (chunk-relative ms)."""

    speaker: str
    start_ms: float
    end_ms: float
    words: int

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms


@dataclass
class SpeakerMatch:
    """What :func:`match_speakers` decided."""

    #: For each chunk, its labels mapped to global labels.
    relabel: list[dict[str, str]]
    #: For each chunk, the cosine similarity of each of its speakers to each speaker known before it.
    similarities: list[dict[str, dict[str, float]]]
    #: Global labels that first appeared in each chunk.
    new_speakers: list[list[str]]
    threshold: float

    @property
    def speakers(self) -> list[str]:
        """Every global label, in order of first appearance."""
        return [label for labels in self.new_speakers for label in labels]


@dataclass
class ChunkMatch:
    """What :func:`match_chunks` returns: the match, the monologues used, the merged transcript."""

    match: SpeakerMatch
    monologues: list[dict[str, Monologue]]
    words: list[dict] = field(repr=False)
    embedder: str = ""


def longest_monologues(words: Sequence[Any]) -> dict[str, Monologue]:
    """For each speaker (in order of first word), the longest run of consecutive words by them,
    by duration; ties go to the earlier run. Words without a speaker are skipped."""
    best: dict[str, Monologue] = {}
    run: list[Any] = []

    def close() -> None:
        if run:
            speaker = item_field(run[0], "speaker")
            found = Monologue(speaker, item_field(run[0], "start"), item_field(run[-1], "end"), len(run))
            if speaker not in best or found.duration_ms > best[speaker].duration_ms:
                best[speaker] = found

    for word in words:
        speaker = item_field(word, "speaker")
        if speaker is None:
            continue
        if run and item_field(run[-1], "speaker") != speaker:
            close()
            run = []
        run.append(word)
    close()
    return best


def _normalise(vector: Any) -> Any:
    import numpy as np

    vector = np.asarray(vector, dtype=np.float64).reshape(-1)
    if not vector.any():
        raise ValueError("a speaker embedding of all zeros cannot be compared")
    return unit_rows(vector, np.float64)


def match_speakers(chunk_embeddings: Sequence[Mapping[str, Any]], threshold: float) -> SpeakerMatch:
    """Global labels for every chunk's speakers from one embedding per (chunk, speaker).

    ``chunk_embeddings[i]`` maps chunk ``i``'s labels to vectors, in the order the speakers first
    speak in it. The first chunk's speakers become ``A``, ``B``, ... in that order; later speakers
    are matched as the module's docstring describes."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"a cosine-similarity threshold lies between -1 and 1, got {threshold}")
    known: list[str] = []
    sums: list[Any] = []  # running sums of the matched, normalised embeddings
    relabel: list[dict[str, str]] = []
    similarities: list[dict[str, dict[str, float]]] = []
    new_speakers: list[list[str]] = []
    total = sum(len(chunk) for chunk in chunk_embeddings)
    letters = iter(speaker_letters(total))
    for chunk in chunk_embeddings:
        labels = list(chunk)
        vectors = [_normalise(chunk[label]) for label in labels]
        mapping: dict[str, str] = {}
        table: dict[str, dict[str, float]] = {label: {} for label in labels}
        if known and labels:
            centroids = unit_rows(np.stack(sums), np.float64)
            sims = np.stack(vectors) @ centroids.T
            for row, label in enumerate(labels):
                table[label] = {name: round(float(sims[row, col]), 4) for col, name in enumerate(known)}
            rows, cols = linear_sum_assignment(-sims)
            for row, col in zip(rows, cols, strict=True):
                if sims[row, col] >= threshold:
                    mapping[labels[row]] = known[col]
                    sums[col] = sums[col] + vectors[row]
        fresh = []
        for row, label in enumerate(labels):
            if label not in mapping:
                name = next(letters)
                mapping[label] = name
                known.append(name)
                sums.append(vectors[row])
                fresh.append(name)
        relabel.append({label: mapping[label] for label in labels})
        similarities.append(table)
        new_speakers.append(fresh)
    return SpeakerMatch(relabel, similarities, new_speakers, threshold)


def merge_chunks(
    chunk_words: Sequence[Sequence[Any]], offsets_ms: Sequence[float], relabel: Sequence[Mapping[str, str]]
) -> list[dict]:
    """One transcript from the chunks' words: times shifted by each chunk's offset, speakers
    renamed by ``relabel`` (words without a speaker keep ``None``), and each word's ``chunk``
    number (from 0) added."""
    if not len(chunk_words) == len(offsets_ms) == len(relabel):
        raise ValueError(
            f"{len(chunk_words)} chunks, {len(offsets_ms)} offsets and {len(relabel)} relabel maps: "
            "one of each per chunk"
        )
    merged = []
    for chunk, (words, offset, mapping) in enumerate(zip(chunk_words, offsets_ms, relabel, strict=True)):
        for word in words:
            item = item_as_dict(word)
            speaker = item.get("speaker")
            item.update(start=item["start"] + offset, end=item["end"] + offset, chunk=chunk)
            item["speaker"] = mapping.get(speaker, speaker)
            merged.append(item)
    return merged


def match_chunks(
    audio: Sequence[str | Path | Any],
    chunk_words: Sequence[Sequence[Any]],
    *,
    offsets_ms: Sequence[float] | None = None,
    embedder: Any = None,
    threshold: float | None = None,
) -> ChunkMatch:
    """Relabel separately transcribed chunks consistently (the module's three steps).

    ``audio[i]`` is chunk ``i``'s audio (a file, or its 16 kHz mono samples) and ``chunk_words[i]``
    its words with chunk-relative times and the chunk's own speaker labels. ``offsets_ms`` says
    where each chunk starts in the whole recording (default: one after the other, from the decoded
    audio lengths). ``embedder`` defaults to :func:`cookbook_utils.voices.load_embedder`'s choice
    and ``threshold`` to the embedder's ``same_speaker_threshold``."""
    from .voices import load_embedder

    if len(audio) != len(chunk_words):
        raise ValueError(f"{len(audio)} audio files but {len(chunk_words)} word lists")
    embedder = embedder or load_embedder().embedder
    threshold = embedder.same_speaker_threshold if threshold is None else threshold
    monologues, embeddings, lengths = [], [], []
    for source, words in zip(audio, chunk_words, strict=True):
        samples = load_audio(source) if isinstance(source, (str, Path)) else source
        lengths.append(len(samples) * 1000 // SAMPLE_RATE)
        found = longest_monologues(words)
        monologues.append(found)
        embeddings.append(
            {
                speaker: embedder.embed(clip(samples, m.start_ms, min(m.end_ms, m.start_ms + MAX_CLIP_MS)))
                for speaker, m in found.items()
            }
        )
    if offsets_ms is None:
        offsets_ms = [sum(lengths[:i]) for i in range(len(lengths))]
    match = match_speakers(embeddings, threshold)
    return ChunkMatch(match, monologues, merge_chunks(chunk_words, offsets_ms, match.relabel), embedder.name)
