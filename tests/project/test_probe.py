"""The contract probe (tools/probe.py) against an emulator started in-process: every line ok, a wrong
expectation reported as DIFFERS, every transcript deleted, no key no traceback, no loopback URL live."""

from __future__ import annotations

import dataclasses
import re

import pytest
import requests

from tools import probe


@pytest.fixture(scope="module")
def checks() -> list[probe.Assumption]:
    return probe.assumptions()


@pytest.mark.end_to_end  # reads the probe run whole against an emulator (make probe-emulator)
def test_the_probe_passes_against_the_emulator(checks: list[probe.Assumption]) -> None:
    lines: list[str] = []
    with probe.emulator_target() as (target, extra):
        code = probe.run(target, checks, out=lines.append, extra=extra)
    *results, summary = lines
    free = [c for c in checks if c.id.startswith("free-key-")]
    differing = [line for line in results if not line.endswith(": ok")]
    skipped = [line for line in differing if ": skipped: a paid key" in line]
    assert differing == skipped and len(skipped) == len(free) > 0, "\n".join(differing)  # paid: skipped
    assert len(results) == len(checks) + 1  # one line each, and the emulator's own spec check
    ok = len(results) - len(free)
    assert re.fullmatch(rf"probe --emulator .*: {ok} of {len(results)} ok, 0 DIFFERS, {len(free)} skipped .*", summary)
    assert code == 0
    lines.clear()
    with probe.emulator_target("free") as (target, extra):  # the free-credit key's checks, on a free account
        assert probe.run(target, free, out=lines.append, extra=extra) == 0
    assert all(line.endswith(": ok") for line in lines[:-1]) and len(lines) == len(free) + 2, lines


@pytest.mark.end_to_end  # reads the probe run whole against an emulator (make probe-emulator)
def test_a_wrong_expectation_is_reported_as_differs(checks: list[probe.Assumption]) -> None:
    by_id = {check.id: check for check in checks}
    wrong_text = dataclasses.replace(by_id["auth-401"], expected=probe.equals([401, "Some other text"]))
    wrong_model = dataclasses.replace(by_id["routing-fr"], expected=probe.equals("universal-2"))
    lines: list[str] = []
    with probe.emulator_target() as (target, _):
        code = probe.run(target, [wrong_text, wrong_model, by_id["unknown-transcript-id"]], out=lines.append)
    assert lines[0].startswith("auth-401: ")
    assert lines[0].endswith(
        'DIFFERS: got [401, "Authentication error, API token missing/invalid"], expected [401, "Some other text"]'
    )
    assert 'DIFFERS: got "assemblyai-stt-3-7", expected "universal-2"' in lines[1]
    assert lines[2].endswith(": ok")
    assert "1 of 3 ok, 2 DIFFERS" in lines[-1] and "in 1 transcripts, 1 deleted" in lines[-1]
    assert code == 1


@pytest.mark.end_to_end  # reads the probe run whole against an emulator (make probe-emulator)
def test_every_transcript_made_is_deleted(checks: list[probe.Assumption]) -> None:
    some = [c for c in checks if c.id in {"routing-fr", "routing-hi", "not-audio-text", "nano-refused"}]
    with probe.emulator_target() as (target, _):
        emulator_probe = probe.Probe(target)
        emulator_probe.prepare(some)
        made = list(emulator_probe.made)
        deleted, failures = emulator_probe.clean_up()
        after = [emulator_probe.send("GET", f"/v2/transcript/{i}").body["text"] for i in made]
    assert len(made) == 3 and deleted == 3 and failures == []  # nano is refused: no transcript
    assert after == ["Deleted by user."] * 3


@pytest.mark.end_to_end  # reads the probe run whole against an emulator (make probe-emulator)
def test_the_assumptions_are_well_formed(checks: list[probe.Assumption]) -> None:
    ids = [check.id for check in checks]
    assert len(ids) == len(set(ids))
    for check in checks:
        assert check.source.startswith("§"), check.id  # a section of the facts file
        assert check.unverified in {"", "yes", "P1", "P2", "P3", "P4", "P5"}, check.id
        assert check.relies, check.id
    assert {c.unverified for c in checks} >= {"P1", "P2", "P3", "P4", "P5"}


@pytest.mark.end_to_end  # reads the probe run whole against an emulator (make probe-emulator)
def test_every_unverified_reading_of_the_emulator_is_checked(checks: list[probe.Assumption]) -> None:
    from tools.emulator import models

    checked = {reading for check in checks for reading in check.readings}
    assert checked == set(models.UNVERIFIED_READINGS)
    assert all(check.unverified for check in checks if check.readings)


def test_live_without_a_key_says_how_in_one_line(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("ASSEMBLYAI_API_KEY", raising=False)

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the probe sent a request without a key")

    monkeypatch.setattr(requests.Session, "request", no_network)
    assert probe.main(["--live"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "ASSEMBLYAI_API_KEY" in err and "Traceback" not in err


@pytest.mark.end_to_end  # reads the probe run whole against an emulator (make probe-emulator)
def test_live_never_sends_a_loopback_url(monkeypatch: pytest.MonkeyPatch, checks: list[probe.Assumption]) -> None:
    target = probe.Target("--live (test)", "http://127.0.0.1:9", "http://127.0.0.1:9", "key", live=True)
    sent: list[str] = []

    def answer(self: probe.Probe, method: str, path: str, **kwargs: object) -> probe.Answer:
        sent.append(f"{method} {path}")
        if path == "/v2/upload":
            return probe.Answer(200, {"upload_url": "http://127.0.0.1:8765/audio/clip-fr.mp3"})
        raise AssertionError(f"nothing but the upload may be sent: {method} {path}")

    monkeypatch.setattr(probe.Probe, "send", answer)
    lines: list[str] = []
    routing = [c for c in checks if c.id == "routing-fr"]
    assert probe.run(target, routing, out=lines.append) == 1
    assert "refusing to send a loopback URL to the real API" in lines[0]
    assert sent == ["POST /v2/upload"]


def test_docs_list_every_assumption() -> None:
    assert probe.DOCS.read_text() == probe.markdown(), "run: python -m tools.probe --docs > docs/probe.md"
