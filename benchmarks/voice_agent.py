"""How the emulator's Voice Agent endpoint keeps up: concurrent sessions and the agent's reply latency.

    .venv/bin/python benchmarks/voice_agent.py [--sessions 16] [--speed 1]

The emulator runs in a process of its own (as in `make record-emulator`); this process plays N callers
at once, each the shipped bookshop caller (data/scripts/bookshop-caller.yaml) as 24 kHz PCM16
``input.audio`` in 100 ms chunks at real-time pace (or ``--speed`` times faster, with the emulator's
replies as fast), answering the order lookup with a ``tool.result`` as documented. For every caller turn
it measures the latency: the first ``reply.audio`` after that turn's ``transcript.user`` minus the moment
the audio of the turn's last word was sent, in the call's own time (wall time x speed). The agent waits
for ``min_silence`` (1000 ms by default) of silence after a sentence-final word, plus up to one chunk,
so ~1000-1100 ms is the floor; what lies above it is speech detection, synthesis and the emulator
falling behind. The run needs 0 errors: every session ends with ``session.ended`` and close 1000, and
none gets a ``session.error``. Both sides share the machine's cores, so the figure is a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = "benchmark-key-0123456789abcdef0123"
CALLER = "bookshop-caller"
FLOOR_MS = 1_000
TOOL = {"type": "function", "name": "lookup_order", "description": "Look up an order by its number.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}  # fmt: skip
ROW = json.dumps({"order_id": "LB-40718", "title": "The Overstory", "status": "at the local sorting office"})


def _serve(connection, speed: float) -> None:
    from tools.emulator.agents import AgentServer

    server = AgentServer(KEY, ROOT / "data", speed=speed).start()
    server.warmed.wait(60)
    connection.send(server.url)
    connection.recv()  # wait for "stop"
    connection.send(server.violations)
    server.stop()


def _pcm() -> bytes:
    command = ["ffmpeg", "-v", "error", "-i", str(ROOT / "data" / "audio" / f"{CALLER}.mp3")]
    return subprocess.run(
        [*command, "-f", "s16le", "-ac", "1", "-ar", "24000", "-"], capture_output=True, check=True
    ).stdout


async def _session(url: str, pcm: bytes, ends_ms: list[int], speed: float) -> dict:
    from websockets.asyncio.client import connect

    latencies: list[float] = []
    errors: list[str] = []
    async with connect(f"{url}/v1/ws", additional_headers={"Authorization": f"Bearer {KEY}"}, max_queue=None) as ws:
        await ws.send(json.dumps({"type": "session.update", "session": {
            "system_prompt": "You are the order desk of Larkspur Books.", "tools": [TOOL]}}))  # fmt: skip
        started: float | None = None
        heard = 0
        waiting = False  # a transcript.user came; its reply's first audio not yet
        pending: list[dict] = []
        last = None

        async def send() -> None:
            nonlocal started
            started = time.monotonic()
            for number, at in enumerate(range(0, len(pcm) // 48, 100)):
                chunk = pcm[at * 48 : (at + 100) * 48]
                await asyncio.sleep(max(0.0, started + number * 0.1 / speed - time.monotonic()))
                await ws.send(json.dumps({"type": "input.audio", "audio": base64.b64encode(chunk).decode()}))
            await asyncio.sleep(6 / speed)  # the last reply
            await ws.send(json.dumps({"type": "session.end"}))

        sender = None
        async for text in ws:
            event = json.loads(text)
            kind = event["type"]
            if kind == "session.ready":
                sender = asyncio.create_task(send())
            elif kind == "transcript.user":
                heard, waiting = heard + 1, True
            elif kind == "reply.audio" and waiting and started is not None:
                spoken_at = started + ends_ms[heard - 1] / 1000 / speed
                latencies.append((time.monotonic() - spoken_at) * speed)
                waiting = False
            elif kind == "tool.call":
                pending.append({"type": "tool.result", "call_id": event["call_id"], "result": ROW})
            elif kind == "session.error":
                errors.append(f"{event['code']}: {event['message']}")
            if kind in ("reply.started", "input.speech.started", "reply.done"):
                last = kind
            if kind == "reply.done" and event["status"] == "interrupted":
                pending.clear()
            if kind in ("tool.call", "reply.done") and last == "reply.done":
                for result in pending:
                    await ws.send(json.dumps(result))
                pending.clear()
        if sender is not None:
            await sender
        return {"latencies": latencies, "errors": errors, "close": ws.close_code, "turns": heard}


async def _run(url: str, pcm: bytes, ends_ms: list[int], count: int, speed: float) -> list[dict]:
    return await asyncio.gather(*[_session(url, pcm, ends_ms, speed) for _ in range(count)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=16, help="concurrent callers")
    parser.add_argument("--speed", type=float, default=1.0, help="times real time (the emulator's too)")
    args = parser.parse_args(argv)
    timing = json.loads((ROOT / "data" / "scripts" / f"{CALLER}.timing.json").read_text())
    ends_ms = [turn["end"] for turn in timing["turns"]]
    pcm = _pcm()
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child, args.speed), daemon=True)
    server.start()
    try:
        url = parent.recv()
        began = time.monotonic()
        results = asyncio.run(_run(url, pcm, ends_ms, args.sessions, args.speed))
        took = time.monotonic() - began
    finally:
        parent.send("stop")
        violations = parent.recv() if parent.poll(15) else ["the server did not answer"]
        server.join(timeout=15)
    latencies = sorted(x for r in results for x in r["latencies"])
    errors = [e for r in results for e in r["errors"]] + [f"close {r['close']}" for r in results if r["close"] != 1000]
    errors += [f"{r['turns']} of {len(ends_ms)} turns heard" for r in results if r["turns"] != len(ends_ms)]
    errors += violations
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else float("nan")
    print(f"cores: {os.cpu_count()}, {args.sessions} sessions of the {timing['duration_ms'] / 1000:.0f} s caller at "
          f"{args.speed:g}x real time, loopback, {took:.0f} s")  # fmt: skip
    print(f"{'sessions':>8} {'errors':>6} {'replies':>7} {'p50 ms':>8} {'p95 ms':>8} {'p95 - floor':>11}")
    print(f"{args.sessions:>8} {len(errors):>6} {len(latencies):>7} {p50 * 1000:>8.0f} {p95 * 1000:>8.0f} "
          f"{p95 * 1000 - FLOOR_MS:>11.0f}")  # fmt: skip
    for error in errors[:10]:
        print("error:", error)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
