"""Local stand-ins for the services a reader brings (an S3 bucket, EasyCron, the web hosts where
audio and video live), for replay and tests: each answers on ``127.0.0.1`` as the real service
answers, and nothing in them is a recipe's lesson.

- :mod:`~cookbook_utils.standins.s3`: the reader's bucket live, a local S3 (moto) otherwise.
- :mod:`~cookbook_utils.standins.easycron`: EasyCron's v1 API.
- :mod:`~cookbook_utils.standins.web`: Google Drive's and GitHub's file hosts, and a folder served
  over HTTP (a video site for yt-dlp's generic extractor).

A stand-in never starts in a live run: the real API would be sent its loopback address, which it
cannot reach (:func:`refuse_when_live`).
"""

from __future__ import annotations

from ..errors import CookbookError


def refuse_when_live(what: str) -> None:
    """Raise :class:`CookbookError` when the notebook runs live (``setup()`` chose live mode):
    ``what`` (a local S3, a GitHub stand-in...) would hand the real API a loopback address."""
    from ..modes import Mode
    from ..session import current_mode

    if current_mode() is Mode.LIVE:
        raise CookbookError(
            f"{what} is a local stand-in, for replay and tests: a live run sends its address to the "
            "real API, which cannot reach this machine. Use the reader's own service in live mode "
            "(session.uses_stand_ins says which)."
        )
