"""Benchmark: the batch-transcription recipe's own code on 1,000 files against the local emulator.

    .venv/bin/python benchmarks/batch.py                 # the full run (about five minutes)
    .venv/bin/python benchmarks/batch.py --files 200     # a quicker look

The emulator runs in its own process with a processing time per transcript (``--processing-seconds``,
2 s by default), so the client measured here is only the recipe: the notebook's ``run_batch`` (thread
pool, SQLite ledger, polling) and, for webhooks, the notebook's ``WebhookReceiver`` with the same
bound on files in flight. Inputs are hard links to one shipped clip, each under its own name.

Reported: wall time against the ideal (files x processing time / concurrency), HTTP requests per file
by kind with polling and with webhooks, the client process's peak memory at 100 and at N files, and
what an interruption costs: the process is killed (``os._exit``) once half the files are done, with
up to ``concurrency`` transcripts in flight, then started again on the same ledger.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SLUG = "batch-transcription"
CLIP = ROOT / "data" / "audio" / "clip-fr.mp3"
KEY = "benchmark-key-not-secret"
LESSON = ["run_batch", "transcribe_file", "open_ledger", "mark", "WebhookReceiver"]
CONSTANTS = ("LEDGER_TABLE", "LOCK", "CONFIG", "BAR")


# --- the measured process -----------------------------------------------------------------------


def _count_requests() -> Counter:
    """Count every HTTP request the SDK sends, by kind."""
    import httpx

    counts: Counter = Counter()
    lock = threading.Lock()
    original = httpx.Client.send

    def send(self, request, **kwargs):
        path = request.url.path
        kind = "upload" if path.endswith("/upload") else "submit" if request.method == "POST" else "read"
        with lock:
            counts[kind] += 1
        return original(self, request, **kwargs)

    httpx.Client.send = send
    return counts


def _webhook_batch(ns: dict, inbox: Path, outbox: Path, concurrency: int) -> None:
    """The notebook's webhook path at scale: submit with webhook_url, wait for the delivery, read once."""
    aai = ns["aai"]
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), ns["WebhookReceiver"])
    receiver.finished = {}
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    config = aai.TranscriptionConfig(speech_models=ns["SPEECH_MODELS"], language_detection=True)
    config.set_webhook(f"http://127.0.0.1:{receiver.server_port}/assemblyai-webhook")
    outbox.mkdir(parents=True, exist_ok=True)

    def one(path: Path) -> None:
        transcript_id = aai.Transcriber(config=config).submit(str(path)).id
        deadline = time.monotonic() + 300
        while transcript_id not in receiver.finished and time.monotonic() < deadline:
            time.sleep(0.05)
        transcript = aai.Transcript.get_by_id(transcript_id)
        (outbox / f"{path.stem}.txt").write_text((transcript.text or "") + "\n")

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, sorted(inbox.iterdir())))
    receiver.shutdown()


def _crash_when_half_done(ledger: Path, half: int, started: float, counts: Counter) -> None:
    import sqlite3

    while True:
        time.sleep(0.05)
        try:
            done = sqlite3.connect(ledger).execute("SELECT COUNT(*) FROM files WHERE status = 'completed'").fetchone()
        except sqlite3.Error:
            continue
        if done[0] >= half:
            _report(time.perf_counter() - started, counts, crashed=True)
            os._exit(3)


def _report(wall: float, counts: Counter, **extra) -> None:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": round(wall, 2), "requests": dict(counts), "peak_rss_mb": round(peak_mb, 1), **extra}))
    sys.stdout.flush()


def child(args: argparse.Namespace) -> None:
    counts = _count_requests()
    import assemblyai as aai

    from tools.notebook_code import load_definitions

    aai.settings.api_key, aai.settings.base_url = KEY, args.base_url
    aai.settings.polling_interval = args.poll
    ns = load_definitions(SLUG, LESSON, CONSTANTS)
    progress = ns["tqdm"]
    ns["tqdm"] = lambda **kwargs: progress(disable=True, **kwargs)  # no bar in a benchmark's output
    inbox, outbox = Path(args.inbox), Path(args.outbox)
    started = time.perf_counter()
    if args.crash_at:
        args_ = (outbox / "ledger.sqlite", args.crash_at, started, counts)
        threading.Thread(target=_crash_when_half_done, args=args_, daemon=True).start()
    if args.mode == "polling":
        ledger = ns["run_batch"](inbox, outbox, concurrency=args.concurrency)
        statuses = dict(Counter(ledger["status"]))
    else:
        _webhook_batch(ns, inbox, outbox, args.concurrency)
        statuses = {"written": len(list(outbox.glob("*.txt")))}
    _report(time.perf_counter() - started, counts, statuses=statuses)


# --- the driver ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _emulator(processing_s: float) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "tools.emulator", "--port", str(port), "--api-key", KEY]
    command += ["--processing-seconds", str(processing_s)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the emulator did not start within 60 s")


def _inbox(folder: Path, count: int) -> Path:
    inbox = folder / f"inbox-{count}"
    if inbox.exists():
        return inbox
    inbox.mkdir()
    for i in range(count):
        os.link(CLIP, inbox / f"call-{i:04d}.mp3")
    return inbox


def _run(base_url: str, inbox: Path, outbox: Path, mode: str, args, crash_at: int = 0) -> dict:
    command = [sys.executable, __file__, "--child", "--base-url", base_url, "--inbox", str(inbox)]
    command += ["--outbox", str(outbox), "--mode", mode, "--concurrency", str(args.concurrency)]
    command += ["--poll", str(args.poll), "--crash-at", str(crash_at)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{mode} run failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(lines[-1])


def _per_file(result: dict, files: int) -> str:
    total = sum(result["requests"].values())
    kinds = ", ".join(f"{k} {v / files:.2f}" for k, v in sorted(result["requests"].items()))
    return f"{total / files:.2f} requests per file ({kinds})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--processing-seconds", type=float, default=2.0)
    parser.add_argument("--poll", type=float, default=0.5, help="the SDK's polling interval (s)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for name in ("--base-url", "--inbox", "--outbox", "--mode"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    parser.add_argument("--crash-at", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    n, small = args.files, min(100, args.files)
    ideal = n * args.processing_seconds / args.concurrency
    print(
        f"{n} files, concurrency {args.concurrency}, {args.processing_seconds} s processing each, "
        f"polling every {args.poll} s; ideal wall time {ideal:.0f} s"
    )
    emulator, base_url = _emulator(args.processing_seconds)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            inbox, inbox_small = _inbox(tmp, n), _inbox(tmp, small)
            _run(base_url, _inbox(tmp, 20), tmp / "out-warm-up", "polling", args)  # the emulator's first answers
            polling = _run(base_url, inbox, tmp / "out-polling", "polling", args)
            print(
                f"polling:  {polling['wall_s']:.1f} s ({polling['wall_s'] / ideal:.2f}x ideal), "
                f"{_per_file(polling, n)}, {polling['statuses']}"
            )
            hooks = _run(base_url, inbox, tmp / "out-webhook", "webhook", args)
            print(
                f"webhooks: {hooks['wall_s']:.1f} s ({hooks['wall_s'] / ideal:.2f}x ideal), "
                f"{_per_file(hooks, n)}, {hooks['statuses']}"
            )
            few = _run(base_url, inbox_small, tmp / "out-small", "polling", args)
            few_hooks = _run(base_url, inbox_small, tmp / "out-small-webhook", "webhook", args)
            print(
                f"peak memory (client process): polling {few['peak_rss_mb']:.0f} MB at {small} files, "
                f"{polling['peak_rss_mb']:.0f} MB at {n}; webhooks {few_hooks['peak_rss_mb']:.0f} MB "
                f"at {small}, {hooks['peak_rss_mb']:.0f} MB at {n}"
            )
            outbox = tmp / "out-crash"
            first = _run(base_url, inbox, outbox, "polling", args, crash_at=n // 2)
            second = _run(base_url, inbox, outbox, "polling", args)
            wall = first["wall_s"] + second["wall_s"]
            submits = first["requests"].get("submit", 0) + second["requests"].get("submit", 0)
            extra = (
                sum(first["requests"].values()) + sum(second["requests"].values()) - sum(polling["requests"].values())
            )
            print(
                f"killed at 50 %: {first['wall_s']:.1f} s, restart {second['wall_s']:.1f} s, "
                f"together {wall:.1f} s vs {polling['wall_s']:.1f} s uninterrupted "
                f"(+{wall - polling['wall_s']:.1f} s); {submits} submissions for {n} files; "
                f"{extra:+d} requests; restart {second['statuses']}"
            )
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


if __name__ == "__main__":
    main()
