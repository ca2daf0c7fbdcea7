"""The network seal: loopback is reachable, nothing else is, in the test run and in replay kernels."""

import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
import requests
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cookbook_utils.errors import CookbookError
from cookbook_utils.network import is_loopback, network_blocked, serve_in_background
from tools.kernels import IPCAsyncKernelManager

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST", "api.localhost", "::ffff:127.0.0.1"],
)
def test_loopback_names(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["", None, "10.0.0.1", "192.0.2.1", "127.example.com", "api.assemblyai.com", "::2"])
def test_other_names_are_not_loopback(host):
    assert not is_loopback(host)


def test_the_whole_test_run_is_sealed():
    assert network_blocked()
    with pytest.raises(CookbookError, match=r"192\.0\.2\.1:443.*the test suite never reaches the network"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    with socket.socket() as sock, pytest.raises(CookbookError, match=r"198\.51\.100\.7:80"):
        sock.connect(("198.51.100.7", 80))
    with socket.socket() as sock, pytest.raises(CookbookError, match=r"198\.51\.100\.7:81"):
        sock.connect_ex(("198.51.100.7", 81))
    with pytest.raises(CookbookError, match=r"203\.0\.113\.5:80"):
        requests.get("http://203.0.113.5/", timeout=1)


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_loopback_and_unix_sockets_stay_reachable(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    serve_in_background(server)
    try:
        assert requests.get(f"http://127.0.0.1:{server.server_port}/", timeout=5).status_code == 204
        assert requests.get(f"http://localhost:{server.server_port}/", timeout=5).status_code == 204
    finally:
        server.shutdown()
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as listener, socket.socket(socket.AF_UNIX) as client:
        listener.bind(path)
        listener.listen(1)
        client.connect(path)


def test_a_replay_notebook_that_reaches_off_the_machine_fails_naming_the_host(tmp_path, monkeypatch):
    """A tiny notebook in replay mode: its kernel (a process of its own) is sealed by setup()."""
    monkeypatch.setenv("COOKBOOK_MODE", "replay")
    cells = [
        'import cookbook_utils as cu\nsession = cu.setup("speaker-labels")',
        # A client vcrpy does not patch (here FTP): only the socket seal stands in its way.
        "import ftplib\nftplib.FTP('192.0.2.44', timeout=2)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(
        nb,
        timeout=120,
        startup_timeout=240,
        kernel_name="python3",
        kernel_manager_class=IPCAsyncKernelManager,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    with pytest.raises(CellExecutionError) as caught:
        client.execute()
    message = str(caught.value)
    assert "CookbookError" in message
    assert "Blocked a connection to 192.0.2.44:21: replay never reaches the network" in message
    assert "Mode: replay" in "".join(nb.cells[0].outputs[0]["text"])
