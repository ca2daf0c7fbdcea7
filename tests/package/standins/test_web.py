"""The web-host stand-ins answer as the real hosts do: Drive's download host, GitHub's raw and LFS
media hosts, and a folder served over HTTP (the video site of youtube-transcripts)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from cookbook_utils.standins.web import DriveStandIn, GitHubStandIn, LocalServer, lfs_pointer, serve_folder

AUDIO = Path(__file__).resolve().parents[3] / "data" / "audio" / "clip-es.mp3"


def test_drive_serves_shared_files_and_refuses_the_rest() -> None:
    with DriveStandIn(shared={"1Shared": AUDIO}, private={"1Private"}, too_large={"1Huge": AUDIO}) as drive:
        shared = requests.get(f"{drive.base_url}/download?id=1Shared&export=download", timeout=10)
        assert shared.content == AUDIO.read_bytes() and shared.headers["content-type"] == "audio/mpeg"
        assert requests.get(f"{drive.base_url}/uc?id=1Shared", timeout=10).content == AUDIO.read_bytes()
        private = requests.get(f"{drive.base_url}/download?id=1Private", timeout=10)
        assert "/ServiceLogin" in private.url and b"Sign in" in private.content
        warning = requests.get(f"{drive.base_url}/download?id=1Huge", timeout=10)
        assert warning.headers["content-type"].startswith("text/html") and b"Virus scan warning" in warning.content
        confirmed = requests.get(f"{drive.base_url}/download?id=1Huge&confirm=t", timeout=10)
        assert confirmed.content == AUDIO.read_bytes()
        assert requests.get(f"{drive.base_url}/download?id=1Gone", timeout=10).status_code == 404
        assert requests.get(f"{drive.base_url}/elsewhere", timeout=10).status_code == 404


def test_github_serves_git_files_lfs_pointers_and_lfs_media() -> None:
    with GitHubStandIn(owner="acme", repo="pods", files={"a/plain.mp3": AUDIO}, lfs={"a/big.mp3": AUDIO}) as github:
        base = f"{github.base_url}/acme/pods/main"
        assert requests.get(f"{base}/a/plain.mp3", timeout=10).content == AUDIO.read_bytes()
        pointer = requests.get(f"{base}/a/big.mp3", timeout=10).content
        assert pointer == lfs_pointer(AUDIO)
        assert pointer.startswith(b"version https://git-lfs.github.com/spec/v1\noid sha256:")
        assert pointer.endswith(f"size {AUDIO.stat().st_size}\n".encode())
        media = requests.get(f"{github.base_url}/media/acme/pods/main/a/big.mp3", timeout=10)
        assert media.content == AUDIO.read_bytes()
        assert requests.get(f"{base}/a/missing.mp3", timeout=10).status_code == 404
        assert requests.get(f"{github.base_url}/acme/pods/dev/a/plain.mp3", timeout=10).status_code == 404


def test_a_served_folder_answers_by_quoted_name_until_it_stops(tmp_path: Path) -> None:
    shutil.copy(AUDIO, tmp_path / "episode 12.mp3")
    with serve_folder(tmp_path) as site:
        url = site.url("episode 12.mp3")
        assert url == f"{site.base_url}/episode%2012.mp3"
        assert requests.get(url, timeout=10).content == AUDIO.read_bytes()
        assert requests.get(site.url("missing.mp3"), timeout=10).status_code == 404
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=10)


def test_a_local_server_stops_when_asked(tmp_path: Path) -> None:
    server = LocalServer(tmp_path)
    assert server.folder == tmp_path and server.base_url.startswith("http://127.0.0.1:")
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url("x"), timeout=10)


def test_a_client_that_hangs_up_mid_file_prints_nothing(tmp_path: Path, capfd) -> None:
    """yt-dlp and ffmpeg read a file's first bytes and close; the server must not print a traceback."""
    import socket
    import struct
    import time

    (tmp_path / "big.bin").write_bytes(b"\0" * 16_000_000)
    with serve_folder(tmp_path) as site:
        port = int(site.base_url.rsplit(":", 1)[1])
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert sock.recv(64).startswith(b"HTTP/1.0 200")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset on close
        time.sleep(0.5)  # let the server's threads meet the closed connections
    assert capfd.readouterr().err == ""
