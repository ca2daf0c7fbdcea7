"""The free-credit account switch (issue 26): a free key may use one model, the others answer the
captured model-access 400; /v1/understanding and the free model allow 2 requests per 60 s per key,
then a 429 with retry-after. The default (paid) account behaves as before."""

import pytest
import requests

from tests.emulator.support import checked_emulator, scripts_folder
from tools import spec
from tools.emulator import accounts, server

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

KEY = "account-test-key-0123456789"
FREE_MODEL = "qwen3.5-4b-32k-fast"
NO_ACCESS = {
    "message": "invalid request body",
    "code": 400,
    "metadata": {"errors": ["Your account does not have access to this LLM Gateway model"]},
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = scripts_folder(tmp_path_factory)
    answers = folder / "answers" / "acc"
    answers.mkdir(parents=True)
    (answers / "hello.md").write_text("Hello there.")
    (answers / "answers.yaml").write_text("hello: {file: hello.md, transcripts: [], prompt_contains: [Say hello]}\n")
    return folder


def _chat(emulator, model: str) -> requests.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "Say hello."}]}
    return requests.post(
        f"{emulator.base_url}/v1/chat/completions", json=body, headers={"authorization": KEY}, timeout=10
    )


def _without_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "request_id"}


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "gpt-5", "gemini-2.5-flash", "claude-haiku-4-5-20251001"])
def test_a_free_account_may_not_use_claude_gpt_or_gemini(data_dir, model):
    with checked_emulator(KEY, notebook="acc", data_dir=data_dir, account="free") as emulator:
        reply = _chat(emulator, model)
        assert reply.status_code == 400 and _without_id(reply.json()) == NO_ACCESS
        listed = requests.get(f"{emulator.base_url}/v1/models", headers={"authorization": KEY}, timeout=10)
        assert model in {m["id"] for m in listed.json()["data"]}  # still listed
        unknown = _chat(emulator, "no-such-model-xyz").json()
        assert unknown["metadata"]["errors"] == ["model no-such-model-xyz is not supported"]


def test_the_free_model_answers_twice_a_minute_then_429_with_retry_after(data_dir):
    clock = Clock()
    with checked_emulator(KEY, notebook="acc", data_dir=data_dir, account="free", clock=clock) as emulator:
        assert [_chat(emulator, FREE_MODEL).status_code for _ in range(2)] == [200, 200]
        clock.now += 10
        limited = _chat(emulator, FREE_MODEL)
        assert limited.status_code == 429
        assert _without_id(limited.json()) == {"message": "too many requests for this action", "code": 429}
        assert limited.headers["retry-after"] == "50" and limited.headers["x-ratelimit-limit"] == "2"
        assert limited.headers["x-ratelimit-model"] == FREE_MODEL
        clock.now += 50  # both requests have left the window
        assert [_chat(emulator, FREE_MODEL).status_code for _ in range(3)] == [200, 200, 429]


def test_understanding_is_limited_per_key_on_a_free_account(data_dir):
    clock = Clock()
    with checked_emulator(KEY, data_dir=data_dir, account="free", clock=clock, rate_window=5) as emulator:
        body = {
            "transcript_id": "x",
            "speech_understanding": {"request": {"translation": {"target_languages": ["es"]}}},
        }

        def ask():
            return requests.post(
                f"{emulator.base_url}/v1/understanding", json=body, headers={"authorization": KEY}, timeout=10
            )

        assert [ask().status_code for _ in range(2)] == [404, 404]  # counted, though the id is unknown
        limited = ask()
        assert limited.status_code == 429 and limited.headers["retry-after"] == "5"
        assert limited.headers["x-ratelimit-service"] == "speech-understanding"
        clock.now += 5
        assert ask().status_code == 404


def test_a_paid_account_has_every_model_and_no_limit(data_dir):
    with checked_emulator(KEY, notebook="acc", data_dir=data_dir) as emulator:
        assert emulator.state.account == "paid"
        assert {_chat(emulator, m).status_code for m in ("claude-sonnet-4-6", FREE_MODEL, FREE_MODEL, FREE_MODEL)} == {
            200
        }


def test_the_switch_from_the_environment_and_the_command_line(monkeypatch):
    monkeypatch.setenv(accounts.ENV_ACCOUNT, "free")
    assert server.settings_from_env()["account"] == "free"
    monkeypatch.setenv(accounts.ENV_ACCOUNT, "trial")
    with pytest.raises(ValueError, match="account must be one of paid, free"):
        server.settings_from_env()
    with pytest.raises(SystemExit):
        server.main(["--api-key", "k", "--account", "trial"])
    monkeypatch.delenv(accounts.ENV_ACCOUNT)
    assert server.settings_from_env()["account"] == "paid"
    with pytest.raises(ValueError, match="not 'gold'"):
        server.Emulator("k", account="gold")
