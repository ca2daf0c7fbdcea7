"""Running a notebook on Google Colab: install the helpers, fetch the data, read the key from Secrets.

A notebook copied into Colab arrives alone: no ``cookbook_utils``, no ``data/`` folder. The Colab
block at the top of every notebook (written by ``python -m tools.registry --write-setup-cells``) installs
this package from the repository where the cookbook is published and calls :func:`prepare`, which
fetches ``notebooks/`` and ``data/`` with a shallow, sparse git clone and points the cookbook at it. The
API key comes from Colab's *Secrets* panel (:func:`key_from_secrets`, used by :mod:`cookbook_utils.modes`).

Where the cookbook is published is decided in one place, :func:`published_repo`: ``REPO_URL`` in
``cookbook_utils/config.py`` when set, else the clone's ``origin`` when it is on GitHub, else nowhere. An
unpublished cookbook offers no "Open in Colab" link, and its Colab block stops with a message instead of
installing from a repository that does not exist.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from . import config
from .config import ENV_API_KEY, ENV_ROOT, PACKAGE_NAME, REPO_BRANCH

#: Where the repository's data is fetched on Colab (``/content`` is Colab's working folder).
COLAB_DIR = Path("/content/cookbook")
#: Debian package of a system tool, where it is not named like the command.
DEBIAN_PACKAGES = {"chromedriver": "chromium-driver", "ffprobe": "ffmpeg", "soxi": "sox"}
#: The folders of the repository a recipe reads at run time.
FETCHED_FOLDERS = ("notebooks", "data")
#: What to do when the cookbook is not published: said by the Colab block and by :class:`UnpublishedError`.
HOW_TO_PUBLISH = (
    "set REPO_URL in cookbook_utils/config.py to its GitHub address, or push the clone to GitHub "
    "(its origin), and run `make registry`"
)

_GITHUB = re.compile(r"^(?:https://(?:www\.)?|git@|ssh://git@)github\.com[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


class UnpublishedError(RuntimeError):
    """Something needs the cookbook's published repository, and it has none."""


def in_colab() -> bool:
    """True inside a Colab runtime (its kernel imports ``google.colab`` at start)."""
    return "google.colab" in sys.modules


def github_address(url: str) -> str | None:
    """``https://github.com/<owner>/<name>`` of a GitHub repository's URL (https, ``git@github.com:``
    or ``ssh://``, with or without ``.git``); ``None`` for anything else."""
    found = _GITHUB.match(url.strip())
    return f"https://github.com/{found[1]}/{found[2]}" if found else None


def github_url_of_origin(root: Path) -> str | None:
    """``https://github.com/<owner>/<name>`` of the clone's ``origin`` remote, when it is on GitHub;
    ``None`` otherwise, without git, or when ``root`` is not itself a clone (a copy of the project inside
    another repository does not take that repository's origin)."""
    git = Path(root) / ".git"
    if not git.exists():
        return None
    config_file = git / "config"  # a worktree's .git is a file: its remotes are read each time
    if not config_file.is_file():
        return _origin(str(root))
    return _cached_origin(str(root), config_file.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _cached_origin(root: str, config_version: int) -> str | None:
    """``_origin`` once per version of the clone's ``.git/config`` (where ``git remote`` writes)."""
    return _origin(root)


def _origin(root: str) -> str | None:
    try:
        url = subprocess.run(
            ["git", "-C", root, "remote", "get-url", "origin"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return None
    return github_address(url)


def published_repo(root: Path | None = None) -> str | None:
    """Where the cookbook is published, as ``https://github.com/<owner>/<name>``: ``REPO_URL`` in
    ``cookbook_utils/config.py`` when it is set, else the ``origin`` of the clone at ``root`` (the
    project's folder) when that is a GitHub repository, else ``None``: the cookbook is unpublished. Every
    Colab link and install line asks this function; nothing else reads ``REPO_URL``."""
    if config.REPO_URL:
        address = github_address(config.REPO_URL)
        if address is None:
            raise ValueError(
                f"REPO_URL in cookbook_utils/config.py is {config.REPO_URL!r}: it must be a GitHub repository's "
                "address, https://github.com/<owner>/<name> (Colab opens notebooks from GitHub), or None"
            )
        return address
    if root is None:
        from . import paths

        try:
            root = paths.project_root()
        except FileNotFoundError:
            return None
    return github_url_of_origin(root)


def _repo(repo: str | None) -> str:
    """``repo``, else the published repository; :class:`UnpublishedError` when there is none."""
    repo = repo or published_repo()
    if repo is None:
        raise UnpublishedError(
            f"this cookbook is not published on GitHub, so there is nothing to install from: {HOW_TO_PUBLISH}"
        )
    return repo


def github_repo(repo: str | None = None) -> str:
    """``owner/name`` of the published repository (or of ``repo``)."""
    return _repo(repo).removeprefix("https://github.com/")


def requirement(extras: Sequence[str] = (), repo: str | None = None) -> str:
    """The pip requirement that installs this package (with ``extras``) from the published repository."""
    extra = f"[{','.join(extras)}]" if extras else ""
    return f"{PACKAGE_NAME}{extra} @ git+{_repo(repo)}@{REPO_BRANCH}"


def install_command(extras: Sequence[str] = (), repo: str | None = None) -> list[str]:
    """The command that installs the helpers into the running Python on Colab."""
    return [sys.executable, "-m", "pip", "install", "--quiet", requirement(extras, repo)]


def colab_url(notebook: str, repo: str | None = None) -> str | None:
    """The "Open in Colab" address of a notebook, given its path in the repository; ``None`` when the
    cookbook is unpublished (then nothing may offer to open it in Colab)."""
    repo = repo or published_repo()
    if repo is None:
        return None
    return f"https://colab.research.google.com/github/{github_repo(repo)}/blob/{REPO_BRANCH}/{notebook}"


def fetch_commands(target: Path, repo: str | None = None) -> list[list[str]]:
    """The git commands that fetch ``notebooks/`` and ``data/`` (and the root's files, such as
    ``recipes.yml``) of the published repository into ``target``: one shallow clone without blobs, then a
    sparse checkout."""
    clone = ["git", "clone", "--quiet", "--depth", "1", "--filter=blob:none", "--sparse"]
    return [
        [*clone, "--branch", REPO_BRANCH, _repo(repo), str(target)],
        ["git", "-C", str(target), "sparse-checkout", "set", *FETCHED_FOLDERS],
    ]


def fetch_data(target: Path | None = None, repo: str | None = None) -> Path:
    """Fetch the repository's data into ``target`` (:data:`COLAB_DIR`) once; a second call finds it there."""
    target = Path(target or COLAB_DIR)
    if (target / ".git").is_dir() and all((target / f).is_dir() for f in FETCHED_FOLDERS):
        return target
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not a copy of the cookbook: remove it and run the cell again.")
    for command in fetch_commands(target, repo):
        subprocess.run(command, check=True)
    return target


def system_install_commands(tools: Sequence[str]) -> list[list[str]]:
    """The apt-get commands that install the missing ``tools`` (commands) on Colab, which runs as
    root; none when every tool is already there."""
    missing = [DEBIAN_PACKAGES.get(tool, tool) for tool in tools if shutil.which(tool) is None]
    if not missing:
        return []
    packages = sorted(set(missing))
    return [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]]


def prepare(slug: str, target: Path | None = None, *, repo: str | None = None) -> Path:
    """On Colab: fetch the data of ``repo`` (the repository the Colab block installed from, which the
    installed package may not know when it was taken from a clone's origin) into ``target``
    (:data:`COLAB_DIR`), point the cookbook at it, and install the system tools the recipe needs (from
    ``recipes.yml``). Returns the data's folder."""
    from . import paths, registry

    target = fetch_data(target, repo)
    os.environ[ENV_ROOT] = str(target)
    paths.project_root.cache_clear()
    recipe = registry.load(target).recipe(slug)
    for command in system_install_commands(recipe.needs.system):
        subprocess.run(command, check=True)
    print(f"Colab: cookbook helpers installed, data in {target}. Add {ENV_API_KEY} under Secrets to run live.")
    return target


def key_from_secrets(name: str = ENV_API_KEY) -> str | None:
    """A key from Colab's *Secrets* panel; ``None`` outside Colab, or when the secret is missing or
    the notebook was not allowed to read it."""
    try:
        from google.colab import userdata  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        return userdata.get(name) or None
    except Exception:  # SecretNotFoundError, NotebookAccessError: treated as "no key here"
        return None
