"""The emulator as the real API is seen from the internet (``Emulator(internet=True)``, the rehearsal):
it cannot download audio from this machine or a private network, nor deliver a webhook there, and it
keeps every URL it was sent. Without it, loopback audio is fetched and only loopback webhooks are taken."""

from __future__ import annotations

import pytest

from tests.emulator.support import AUDIO_URL, call, submit, wait
from tools.emulator.errors import text
from tools.emulator.uploads import reaches_this_machine


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/a.mp3",
        "http://localhost/a.mp3",
        "http://10.1.2.3/a.mp3",
        "http://192.168.0.7/a.mp3",
        "http://[::1]:80/a.mp3",
        "http://169.254.1.1/a.mp3",
        "http://printer.local/a.mp3",
    ],
)
def test_an_address_on_this_machine_or_a_private_network_is_unreachable_from_the_internet(url):
    assert reaches_this_machine(url)


def test_a_public_address_is_reachable():
    assert not reaches_this_machine("https://storage.example.com/calls/support-call.mp3")
    assert not reaches_this_machine("https://8.8.8.8/support-call.mp3")


def test_a_loopback_audio_url_fails_to_download_as_the_real_api_says(make_emulator):
    emulator = make_emulator(internet=True)
    url = "http://127.0.0.1:9/support-call.mp3"  # a file the emulator knows by name: still not fetched
    result = wait(emulator, submit(emulator, audio_url=url)["id"])
    assert result["status"] == "error"
    assert result["error"] == text("download_error", url=url)
    assert emulator.urls_sent == [("audio_url", url)]


def test_a_public_audio_url_is_transcribed_and_kept(make_emulator):
    emulator = make_emulator(internet=True)
    result = wait(emulator, submit(emulator)["id"])
    assert result["status"] == "completed" and result["words"]
    assert emulator.urls_sent == [("audio_url", AUDIO_URL)]


def test_a_webhook_is_taken_but_never_delivered_from_the_internet(make_emulator):
    emulator = make_emulator(internet=True)
    hooks = ["http://127.0.0.1:9/hook", "https://hooks.example.com/assemblyai"]
    for hook in hooks:
        result = wait(emulator, submit(emulator, webhook_url=hook)["id"])
        assert result["status"] == "completed" and result["webhook_status_code"] is None
    assert [url for field, url in emulator.urls_sent if field == "webhook_url"] == hooks
    assert [delivery["code"] for delivery in emulator.webhooks] == [None, None]


def test_off_the_internet_a_public_webhook_is_refused_by_name(make_emulator):
    emulator = make_emulator()
    response = call(
        emulator, "POST", "/v2/transcript", json={"audio_url": AUDIO_URL, "webhook_url": "https://hooks.example.com/x"}
    )
    assert response.status_code == 400 and "webhook_url" in response.text
