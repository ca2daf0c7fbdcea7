"""eu-data-residency's gateway call, as recorded: the transcript goes by id, never as text.

The recipe teaches ``transcript_id`` with a ``{{ transcript }}`` placeholder (docs/platform-2026-12.md,
section 5: the gateway replaces the first exact ``{{ transcript }}`` of the first message holding
it with the transcript's text), so the recorded request must carry the id of the EU transcript
and the placeholder, and none of the transcript's words.
"""

from __future__ import annotations

import json

import yaml

from cookbook_utils import paths


def _interactions() -> list[dict]:
    return yaml.safe_load(paths.cassette_path("eu-data-residency").read_text())["interactions"]


def test_the_chat_request_sends_the_transcript_id_and_the_placeholder_not_the_text() -> None:
    interactions = _interactions()
    chats = [i for i in interactions if i["request"]["uri"].endswith("/v1/chat/completions")]
    assert len(chats) == 1
    assert chats[0]["request"]["uri"].startswith("https://llm-gateway.eu.assemblyai.com/")
    body = json.loads(chats[0]["request"]["body"])
    transcripts = [
        json.loads(i["response"]["body"]["string"])
        for i in interactions
        if i["request"]["method"] == "GET"
        and "/v2/transcript/" in i["request"]["uri"]
        and i["response"]["status"]["code"] == 200
    ]
    text = next(t["text"] for t in transcripts if t.get("status") == "completed")
    assert body["transcript_id"] in {t["id"] for t in transcripts}
    [message] = body["messages"]
    assert message["content"].count("{{ transcript }}") == 1
    assert text[:40] not in message["content"]
    answer = json.loads(chats[0]["response"]["body"]["string"])
    assert chats[0]["response"]["status"]["code"] == 200 and answer["choices"][0]["message"]["content"]
