"""How the emulator's streaming endpoint keeps up: final-turn latency and concurrent sessions.

    .venv/bin/python benchmarks/streaming.py [--seconds 30] [--levels 1 4 8 16 32]

The emulator runs in a process of its own (as in `make record-emulator`); this process plays K
clients at once, each streaming a shipped conversation at real-time pace in 100 ms chunks (each
chunk sent when a microphone would have recorded it) over loopback. For every formatted final turn
it measures the latency: its arrival time minus the moment the audio of its last word was sent.
The emulator ends a turn after ``min_turn_silence`` (400 ms by default) of silence plus up to one
chunk, so ~400-500 ms is the floor; what lies above it is the emulator falling behind. A level is
*held* when every session ends cleanly and the p95 latency stays under one second. Both sides
share the machine's cores, so the figure is a lower bound for the emulator alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = "benchmark-key-0123456789abcdef0123"
CONVERSATIONS = ["support-call", "team-meeting", "podcast-clip", "interview-freelancer"]
HELD_P95_S = 1.0


def _serve(connection) -> None:
    from tools.emulator import Emulator

    with Emulator(api_key=KEY) as emulator:
        connection.send(emulator.streaming_url)
        connection.recv()  # wait for "stop"


def _pcm(name: str, seconds: float) -> bytes:
    from cookbook_utils.audio import load_audio

    samples = load_audio(ROOT / "data" / "audio" / f"{name}.mp3")
    return (samples[: int(seconds * 16_000)] * 32767).astype("<i2").tobytes()


async def _session(url: str, pcm: bytes) -> dict:
    from websockets.asyncio.client import connect

    latencies: list[float] = []
    async with connect(
        f"{url}/v3/ws?sample_rate=16000&format_turns=true", additional_headers={"Authorization": KEY}, max_queue=None
    ) as websocket:
        started = time.monotonic()

        async def send() -> None:
            for index in range(0, len(pcm), 3200):
                await asyncio.sleep(max(0.0, started + (index + 3200) / 32_000 - time.monotonic()))
                await websocket.send(pcm[index : index + 3200])
            await websocket.send(json.dumps({"type": "Terminate"}))

        sender = asyncio.create_task(send())
        async for text in websocket:
            message = json.loads(text)
            if message["type"] == "Turn" and message["end_of_turn"] and message["turn_is_formatted"]:
                sent_at = started + message["words"][-1]["end"] / 1000
                latencies.append(time.monotonic() - sent_at)
        await sender
        return {"latencies": latencies, "close": websocket.close_code}


async def _level(url: str, pcms: list[bytes], count: int) -> dict:
    results = await asyncio.gather(*[_session(url, pcms[i % len(pcms)]) for i in range(count)])
    latencies = sorted(x for r in results for x in r["latencies"])
    clean = sum(1 for r in results if r["close"] == 1000)
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else float("nan")
    return {"sessions": count, "clean": clean, "turns": len(latencies), "p50_ms": p50 * 1000, "p95_ms": p95 * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="audio each session streams")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 8, 16, 32], help="concurrent sessions")
    args = parser.parse_args(argv)
    pcms = [_pcm(name, args.seconds) for name in CONVERSATIONS]
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        url = parent.recv()
        asyncio.run(_level(url, pcms[:1], 1))  # warm up: the emulator decodes the conversations' openings
        print(f"cores: {os.cpu_count()}, {args.seconds:.0f} s of audio per session, real-time pace, loopback")
        print(f"{'sessions':>8} {'clean':>6} {'turns':>6} {'p50 ms':>8} {'p95 ms':>8}  held")
        for count in args.levels:
            row = asyncio.run(_level(url, pcms, count))
            held = row["clean"] == count and row["p95_ms"] < HELD_P95_S * 1000
            print(f"{count:>8} {row['clean']:>6} {row['turns']:>6} {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f}  {held}")
    finally:
        parent.send("stop")
        server.join(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
