"""Vectors of unit length, so that a dot product is the cosine similarity (voices, diarization).

The exact nearest-neighbour index that used to live here is in ``benchmarks/cosine_index.py``: only
the benchmarks run it.
"""

from __future__ import annotations

from typing import Any


def unit_rows(vectors: Any, dtype: Any = "float32") -> Any:
    """Each row (or the one vector) scaled to length 1, as a numpy array of ``dtype``; rows of
    zeros stay zeros."""
    import numpy as np

    array = np.asarray(vectors, dtype=dtype)
    return array / np.maximum(np.linalg.norm(array, axis=-1, keepdims=True), 1e-12)
