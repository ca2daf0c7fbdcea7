"""Running a notebook on Google Colab: install the helpers, fetch the data, read the key from Secrets.

A notebook copied into Colab arrives alone: no ``cookbook_utils``, no ``data/`` folder. The Colab
block at the top of every setup cell (written from :func:`install_command` by
``python -m tools.registry --write-setup-cells``) installs this package from :data:`REPO_URL` and
calls :func:`prepare`, which fetches ``notebooks/`` and ``data/`` with a shallow, sparse git clone
and points the cookbook at it. The API key comes from Colab's *Secrets* panel
(:func:`key_from_secrets`, used by :mod:`cookbook_utils.modes`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .config import ENV_API_KEY, ENV_ROOT, PACKAGE_NAME, REPO_BRANCH, REPO_URL

#: Where the repository's data is fetched on Colab (``/content`` is Colab's working folder).
COLAB_DIR = Path("/content/cookbook")
#: Debian package of a system tool, where it is not named like the command.
DEBIAN_PACKAGES = {"chromedriver": "chromium-driver", "ffprobe": "ffmpeg", "soxi": "sox"}
#: The folders of the repository a recipe reads at run time.
FETCHED_FOLDERS = ("notebooks", "data")


def in_colab() -> bool:
    """True inside a Colab runtime (its kernel imports ``google.colab`` at start)."""
    return "google.colab" in sys.modules


def github_repo() -> str:
    """``owner/name`` of :data:`REPO_URL`."""
    path = urlsplit(REPO_URL).path.strip("/")
    return path.removesuffix(".git")


def github_url_of_origin(root: Path) -> str | None:
    """``https://github.com/<owner>/<name>`` of the clone's ``origin`` remote, when it is on GitHub
    (``git@github.com:owner/name.git`` or an https URL); ``None`` otherwise or without git."""
    import re

    try:
        url = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return None
    found = re.match(r"^(?:https://|git@|ssh://git@)github\.com[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", url)
    return f"https://github.com/{found[1]}/{found[2]}" if found else None


def requirement(extras: Sequence[str] = ()) -> str:
    """The pip requirement that installs this package (with ``extras``) from the repository."""
    extra = f"[{','.join(extras)}]" if extras else ""
    return f"{PACKAGE_NAME}{extra} @ git+{REPO_URL}@{REPO_BRANCH}"


def install_command(extras: Sequence[str] = ()) -> list[str]:
    """The command that installs the helpers into the running Python on Colab."""
    return [sys.executable, "-m", "pip", "install", "--quiet", requirement(extras)]


def colab_url(notebook: str) -> str:
    """The "Open in Colab" address of a notebook, given its path in the repository."""
    return f"https://colab.research.google.com/github/{github_repo()}/blob/{REPO_BRANCH}/{notebook}"


def fetch_commands(target: Path) -> list[list[str]]:
    """The git commands that fetch ``notebooks/`` and ``data/`` (and the root's files, such as
    ``recipes.yml``) into ``target``: one shallow clone without blobs, then a sparse checkout."""
    clone = ["git", "clone", "--quiet", "--depth", "1", "--filter=blob:none", "--sparse"]
    return [
        [*clone, "--branch", REPO_BRANCH, REPO_URL, str(target)],
        ["git", "-C", str(target), "sparse-checkout", "set", *FETCHED_FOLDERS],
    ]


def fetch_data(target: Path | None = None) -> Path:
    """Fetch the repository's data into ``target`` (:data:`COLAB_DIR`) once; a second call finds it there."""
    target = Path(target or COLAB_DIR)
    if (target / ".git").is_dir() and all((target / f).is_dir() for f in FETCHED_FOLDERS):
        return target
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not a copy of the cookbook: remove it and run the cell again.")
    for command in fetch_commands(target):
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


def prepare(slug: str, target: Path | None = None) -> Path:
    """On Colab: fetch the data into ``target`` (:data:`COLAB_DIR`), point the cookbook at it, and
    install the system tools the recipe needs (from ``recipes.yml``). Returns the data's folder."""
    from . import paths, registry

    target = fetch_data(target)
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
