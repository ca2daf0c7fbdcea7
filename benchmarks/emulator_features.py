"""The emulator's transcript features, measured: how long building one transcript takes, plain and
with every emulated feature on, for each shipped conversation (no HTTP, no spec check).

    .venv/bin/python benchmarks/emulator_features.py [--repeats 20]

Prints, per conversation, the median milliseconds to build the words (and utterances, entities,
sentiment and key phrases where the script has reference data) and how many words differ from
the script's own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FULL = {
    "speaker_labels": True,
    "speakers_expected": 2,
    "entity_detection": True,
    "redact_pii": True,
    "redact_pii_policies": ["person_name", "money_amount", "date", "location", "organization"],
    "redact_pii_sub": "entity_name",
    "custom_spelling": [{"from": ["time out"], "to": "timeout"}],
    "keyterms_prompt": ["Larkspur"],
}


def _median_ms(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    from tools.emulator import analysis, conversations

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"{'conversation':32} {'words':>5} {'changed':>7} {'plain ms':>9} {'all features ms':>16}")
    for path in sorted((ROOT / "data" / "scripts").glob("*.timing.json")):
        conversation = conversations.Conversation.load(path)

        def full(conversation=conversation):
            result = conversations.transcribe(conversation, FULL)
            analysis.sentiments(conversation, result.words)
            analysis.key_phrases(conversation, result.words)
            conversations.utterances(conversations.public(result.words))

        plain = conversations.transcribe(conversation, {}).words
        changed = sum(
            1 for w in plain if w["src"][0] != w["src"][1] or w["text"] != conversation.words[w["src"][0]]["text"]
        )
        plain_ms = _median_ms(lambda c=conversation: conversations.transcribe(c, {}), args.repeats)
        full_ms = _median_ms(full, args.repeats)
        print(f"{conversation.name:32} {len(conversation.words):5} {changed:7} {plain_ms:9.2f} {full_ms:16.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
