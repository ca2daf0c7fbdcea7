"""The emulator under load: N clients at once, each uploading, submitting and polling.

    .venv/bin/python benchmarks/emulator_load.py [--clients 200] [--processing-seconds 2]
                                                 [--poll-interval 0.2] [--audio clip-es]

The emulator runs in its own process on a free loopback port (as ``python -m tools.emulator``);
the clients are threads of this process, each with its own ``requests`` session, released
together by a barrier. Each uploads one shipped audio file, submits a transcript and polls it
until it is completed. Reported: clients served (every step answered and the transcript
completed), errors by kind (connection resets, timeouts, HTTP statuses), the p50/p99 latency of a
status poll while all of them run (client threads share this process's interpreter, so it includes
their own contention), and the emulator's CPU time.
"""

from __future__ import annotations

import argparse
import collections
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cookbook_utils.config import SPEECH_MODELS  # noqa: E402

MODELS = SPEECH_MODELS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_emulator(key: str, processing_seconds: float) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "tools.emulator", "--port", str(port), "--api-key", key]
    command += ["--processing-seconds", str(processing_seconds)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                # The first answer also loads the specs: warm them before the clients start.
                requests.get(f"{base}/v2/transcript", headers={"authorization": key}, timeout=30)
                return process, base
            except requests.ConnectionError:
                if process.poll() is not None:
                    raise RuntimeError(f"the emulator exited: {process.stderr.read().decode()}") from None
                time.sleep(0.1)
        raise RuntimeError("the emulator did not start within 60 s")
    except BaseException:
        process.kill()  # never leave it running
        process.wait()
        raise


def _client(base: str, key: str, audio: bytes, interval: float, start: threading.Barrier) -> dict:
    """One client's whole job; its poll latencies and the error that stopped it, if any."""
    polls: list[float] = []
    session = requests.Session()
    session.headers["authorization"] = key
    start.wait()
    try:
        upload = session.post(f"{base}/v2/upload", data=audio, timeout=60)
        upload.raise_for_status()
        body = {"audio_url": upload.json()["upload_url"], "speech_models": MODELS}
        created = session.post(f"{base}/v2/transcript", json=body, timeout=60)
        created.raise_for_status()
        url = f"{base}/v2/transcript/{created.json()['id']}"
        while True:
            began = time.perf_counter()
            poll = session.get(url, timeout=60)
            polls.append(time.perf_counter() - began)
            poll.raise_for_status()
            status = poll.json()["status"]
            if status in {"completed", "error"}:
                return {"polls": polls, "error": None if status == "completed" else f"transcript {status}"}
            time.sleep(interval)
    except requests.HTTPError as error:
        return {"polls": polls, "error": f"HTTP {error.response.status_code}"}
    except requests.RequestException as error:
        return {"polls": polls, "error": type(error).__name__}
    finally:
        session.close()


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--processing-seconds", type=float, default=2.0)
    parser.add_argument("--poll-interval", type=float, default=0.2)
    parser.add_argument("--audio", default="clip-es", help="a file of data/audio, without .mp3")
    args = parser.parse_args()
    key = "emulator-" + secrets.token_hex(8)
    audio = (ROOT / "data" / "audio" / f"{args.audio}.mp3").read_bytes()
    process, base = _start_emulator(key, args.processing_seconds)
    try:
        barrier = threading.Barrier(args.clients)
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            futures = [pool.submit(_client, base, key, audio, args.poll_interval, barrier) for _ in range(args.clients)]
            results = [future.result() for future in futures]
        elapsed = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=10)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    errors = collections.Counter(r["error"] for r in results if r["error"])
    polls = [p * 1000 for r in results for p in r["polls"]]
    served = sum(1 for r in results if r["error"] is None)
    print(f"clients            {args.clients} at once ({len(audio) / 1000:.0f} kB upload each)")
    print(f"processing time    {args.processing_seconds:.1f} s per transcript, polled every {args.poll_interval} s")
    print(f"clients served     {served} of {args.clients}, in {elapsed:.1f} s")
    print(f"errors             {sum(errors.values())}" + (f" ({dict(errors)})" if errors else ""))
    print(
        f"emulator CPU       {cpu.ru_utime + cpu.ru_stime:.1f} s (start-up included), on a machine with load {_load()}"
    )
    if polls:
        print(
            f"status poll        p50 {statistics.median(polls):.1f} ms, p99 {_percentile(polls, 0.99):.1f} ms, "
            f"max {max(polls):.1f} ms over {len(polls)} polls"
        )


if __name__ == "__main__":
    main()
