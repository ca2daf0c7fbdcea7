"""How the emulator's text-to-speech WebSocket keeps up: time to first audio and real-time factor.

    .venv/bin/python benchmarks/tts_websocket.py [--sessions 8] [--levels 1 4 8]

The emulator's text-to-speech host runs in a process of its own; this process opens K sessions at once
(threads, SDK-free websockets clients over loopback). Each session sends the four sentences of
tts-streaming-websocket's reply, one ``Generate`` each as fast as it can, then ``Flush``, and reads until
``FlushDone``. Per session it measures:

- **time to first audio**: from sending the first ``Generate`` to the first ``Audio`` frame;
- **real-time factor**: from the first ``Generate`` to ``FlushDone``, divided by the seconds of speech
  received (below 1: the audio is made faster than it plays).

Figures are p50 and p95 over all sessions of a level. They are the emulator's (espeak-ng and ffmpeg on
this machine's cores, shared with the clients), not AssemblyAI's: they say whether the emulator keeps a
recording session realistic, and give the method to measure the real service with a key.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = "benchmark-key-0123456789abcdef0123"
SENTENCES = [
    "Your order of three notebooks left our shop on Monday. ",
    "The courier shows it in Leeds this morning. ",
    "It should reach you by Thursday afternoon. ",
    "I have sent the tracking link to your email. ",
]
RATE = 16000


def _serve(connection) -> None:
    from tools.emulator.tts import TTSServer

    with TTSServer(api_key=KEY) as server:
        connection.send(server.base_url)
        connection.recv()  # wait for "stop"


def _session(url: str, results: list, errors: list) -> None:
    from websockets.sync.client import connect

    try:
        with connect(f"{url}?sample_rate={RATE}", additional_headers={"Authorization": KEY}, max_size=2**22) as ws:
            if json.loads(ws.recv(timeout=30))["type"] != "Begin":
                raise RuntimeError("no Begin")
            started = time.monotonic()
            for sentence in SENTENCES:
                ws.send(json.dumps({"type": "Generate", "text": sentence}))
            ws.send(json.dumps({"type": "Flush"}))
            first, audio_bytes = None, 0
            while True:
                frame = json.loads(ws.recv(timeout=60))
                if frame["type"] == "Audio":
                    first = first or time.monotonic() - started
                    audio_bytes += len(frame["audio"]) * 3 // 4
                elif frame["type"] == "FlushDone":
                    done = time.monotonic() - started
                    break
                elif frame["type"] == "Error":
                    raise RuntimeError(frame["error"])
            ws.send(json.dumps({"type": "Terminate"}))
        speech = audio_bytes / 2 / RATE
        results.append({"first": first, "rtf": done / speech, "speech": speech})
    except Exception as error:  # noqa: BLE001 - counted and shown
        errors.append(f"{type(error).__name__}: {error}")


def level(url: str, concurrent: int, rounds: int) -> dict:
    """``rounds`` batches of ``concurrent`` sessions at once."""
    results: list[dict] = []
    errors: list[str] = []
    for _ in range(rounds):
        threads = [threading.Thread(target=_session, args=(url, results, errors)) for _ in range(concurrent)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def p(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else float("nan")

    firsts, rtfs = [r["first"] for r in results], [r["rtf"] for r in results]
    return {
        "concurrent": concurrent,
        "sessions": len(results) + len(errors),
        "errors": len(errors),
        "first_audio_p50_s": round(p(firsts, 0.5), 3),
        "first_audio_p95_s": round(p(firsts, 0.95), 3),
        "rtf_p50": round(p(rtfs, 0.5), 3),
        "rtf_p95": round(p(rtfs, 0.95), 3),
        "speech_s": round(statistics.mean(r["speech"] for r in results), 2) if results else 0,
        "first_error": errors[0] if errors else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 8], help="sessions at once")
    parser.add_argument("--sessions", type=int, default=8, help="sessions per level (at least the level)")
    args = parser.parse_args(argv)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    base = parent.recv()
    url = base.replace("http://", "ws://") + "/v1/ws"
    failed = False
    try:
        level(url, 1, 1)  # warm the voice helper process
        for concurrent in args.levels:
            row = level(url, concurrent, max(1, args.sessions // concurrent))
            failed |= row["errors"] > 0
            print(json.dumps(row))
    finally:
        parent.send("stop")
        server.join(timeout=10)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
