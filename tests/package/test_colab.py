"""The Colab path, without Colab: a stand-in ``google.colab`` module, and every command that would reach
the network (pip, git, apt-get) recorded instead of run."""

import os
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from cookbook_utils import colab, config, paths, registry
from cookbook_utils.modes import Mode, resolve_mode
from tools import registry as tool

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = registry.load(ROOT)
REPO = "https://github.com/someone/voice-cookbook"
REQUIREMENT = f"cookbook-utils @ git+{REPO}@main"


@pytest.fixture
def published(monkeypatch):
    """The cookbook published at :data:`REPO` (``REPO_URL``), whatever this clone's origin."""
    monkeypatch.setattr(config, "REPO_URL", REPO)
    return REPO


@pytest.fixture
def on_colab(monkeypatch):
    """A stand-in ``google.colab`` with a Secrets panel holding one key."""
    secrets = {"ASSEMBLYAI_API_KEY": "colab-secret-" + "7" * 20}
    stand_in = types.ModuleType("google.colab")
    stand_in.userdata = types.SimpleNamespace(get=lambda name: secrets[name])  # KeyError, like SecretNotFoundError
    google = types.ModuleType("google")
    google.colab = stand_in
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", stand_in)
    return secrets


@pytest.fixture
def commands(monkeypatch):
    """Every subprocess.run call, recorded and not run. A git clone is simulated by copying the
    project's notebooks/, data/ and recipes.yml, as the sparse checkout would."""
    seen = []

    def run(command, **kwargs):
        seen.append(list(command))
        if command[:2] == ["git", "clone"]:
            target = Path(command[-1])
            target.mkdir(parents=True)
            (target / ".git").mkdir()
            for name in ("recipes.yml", "recipes.schema.json"):
                (target / name).write_bytes((ROOT / name).read_bytes())
            for folder in colab.FETCHED_FOLDERS:
                (target / folder).mkdir()
            for notebook in (ROOT / "notebooks").rglob("*.ipynb"):
                copy = target / notebook.relative_to(ROOT)
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(notebook.read_bytes())
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", run)
    return seen


@pytest.fixture(autouse=True)
def _restore_root():
    """prepare() points the cookbook at the fetched copy (COOKBOOK_ROOT); undo that after each test."""
    before = os.environ.pop("COOKBOOK_ROOT", None)
    paths.project_root.cache_clear()
    yield
    os.environ.pop("COOKBOOK_ROOT", None)
    if before is not None:
        os.environ["COOKBOOK_ROOT"] = before
    paths.project_root.cache_clear()


def test_detection(on_colab, monkeypatch):
    assert colab.in_colab()
    monkeypatch.delitem(sys.modules, "google.colab")
    assert not colab.in_colab()


def test_the_default_names_no_repository():
    assert config.REPO_URL is None, "unpublished by default: the address comes from REPO_URL or the origin"


def test_the_install_command_comes_from_the_published_repository(published):
    assert colab.install_command() == [sys.executable, "-m", "pip", "install", "--quiet", REQUIREMENT]
    assert colab.install_command(["youtube", "s3"])[-1] == f"cookbook-utils[youtube,s3] @ git+{REPO}@main"
    assert colab.colab_url("notebooks/speakers/speaker-labels.ipynb") == (
        "https://colab.research.google.com/github/someone/voice-cookbook/blob/main/notebooks/speakers/speaker-labels.ipynb"
    )


def test_the_package_name_is_the_one_pyproject_declares():
    tomllib = pytest.importorskip("tomllib")
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"] == config.PACKAGE_NAME


def test_the_key_is_read_from_colab_secrets(on_colab, tmp_path):
    assert colab.key_from_secrets() == on_colab["ASSEMBLYAI_API_KEY"]
    assert colab.key_from_secrets("OPENAI_API_KEY") is None  # a missing secret is "no key"
    decision = resolve_mode({}, cwd=tmp_path)
    assert decision.mode is Mode.LIVE
    assert decision.api_key == on_colab["ASSEMBLYAI_API_KEY"]
    assert decision.reason == "API key from Colab's secrets"


def test_no_key_from_secrets_outside_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", None)  # import fails, as it does off Colab
    assert colab.key_from_secrets() is None


def _colab_block(recipe) -> str:
    """The Colab block of a notebook's setup cell, as stored in the notebook."""
    block, rest = tool.split_setup_cell(
        tool.first_code_cell(nbformat.read(ROOT / recipe.notebook, as_version=4)).source
    )
    assert block is not None, f"{recipe.slug}: the first code cell is not the Colab block"
    assert not rest.strip(), f"{recipe.slug}: the Colab block shares its cell with other code"
    return block


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_the_colab_cell_of_a_published_cookbook_installs_fetches_and_prepares(
    recipe, published, on_colab, commands, tmp_path, monkeypatch, capsys
):
    target = tmp_path / "content" / "cookbook"
    monkeypatch.setattr(colab, "COLAB_DIR", target)
    block = tool.colab_block(recipe)
    monkeypatch.setattr(config, "REPO_URL", None)  # the installed package need not know: the cell says it

    exec(compile(block, f"{recipe.slug} setup cell", "exec"), {})

    clone, sparse = colab.fetch_commands(target, REPO)
    assert commands[0] == [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        colab.requirement(recipe.needs.extras, REPO),
    ]
    assert commands[1:3] == [clone, sparse]
    assert clone[-2:] == [REPO, str(target)] and "--depth" in clone
    assert sparse[-2:] == ["notebooks", "data"]
    assert paths.project_root() == target
    assert paths.notebook_path(recipe.slug) == target / recipe.notebook
    assert f"data in {target}" in capsys.readouterr().out


def test_the_colab_cell_of_an_unpublished_cookbook_stops_with_what_to_do(on_colab, commands, monkeypatch):
    monkeypatch.setattr(config, "REPO_URL", None)
    monkeypatch.setattr(colab, "github_url_of_origin", lambda root: None)
    with pytest.raises(SystemExit, match="Clone the repository and open this notebook from the clone"):
        exec(compile(tool.colab_block(REGISTRY.recipe("speaker-labels")), "speaker-labels", "exec"), {})
    assert commands == []


def test_the_setup_cell_does_nothing_off_colab(commands, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    for recipe in REGISTRY.recipes:
        exec(compile(_colab_block(recipe), recipe.slug, "exec"), {})  # as committed
        monkeypatch.setattr(config, "REPO_URL", REPO)
        exec(compile(tool.colab_block(recipe), recipe.slug, "exec"), {})  # published
        monkeypatch.setattr(config, "REPO_URL", None)
    assert commands == []


def test_running_the_cell_again_does_not_fetch_again(on_colab, published, commands, tmp_path):
    target = tmp_path / "cookbook"
    colab.prepare("speaker-labels", target)
    colab.prepare("speaker-labels", target)
    assert [c[:2] for c in commands] == [["git", "clone"], ["git", "-C"]]


def test_a_foreign_folder_in_the_way_is_not_overwritten(commands, tmp_path):
    (tmp_path / "cookbook").mkdir()
    (tmp_path / "cookbook" / "mine.txt").write_text("not the cookbook")
    with pytest.raises(FileExistsError, match="remove it"):
        colab.fetch_data(tmp_path / "cookbook")
    assert commands == []


def test_missing_system_tools_are_installed_with_apt(monkeypatch):
    monkeypatch.setattr(colab.shutil, "which", lambda tool: None if tool in {"sox", "ffprobe"} else f"/usr/bin/{tool}")
    assert colab.system_install_commands(["ffmpeg", "sox", "ffprobe"]) == [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "ffmpeg", "sox"],
    ]
    assert colab.system_install_commands(["ffmpeg"]) == []


def test_prepare_installs_the_system_tools_the_registry_names(on_colab, published, commands, tmp_path, monkeypatch):
    monkeypatch.setattr(colab.shutil, "which", lambda tool: None)
    recipe = registry.Recipe("speaker-labels", "t", "speakers", "d", needs=registry.Needs(system=("espeak-ng",)))
    monkeypatch.setattr(registry.Registry, "recipe", lambda self, slug: recipe)
    colab.prepare("speaker-labels", tmp_path / "cookbook")
    assert commands[-1] == ["apt-get", "install", "-y", "-qq", "espeak-ng"]


def test_a_failed_install_says_what_to_do_instead_of_failing_inside_pip(on_colab, published, monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: subprocess.CompletedProcess(command, 1))
    recipe = REGISTRY.recipe("speaker-labels")
    with pytest.raises(SystemExit, match="set REPO_URL in cookbook_utils/config.py") as raised:
        exec(compile(tool.colab_block(recipe), recipe.slug, "exec"), {})
    assert colab.requirement() in str(raised.value)


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://github.com/someone/cookbook-fork.git", "https://github.com/someone/cookbook-fork"),
        ("git@github.com:someone/cookbook.git", "https://github.com/someone/cookbook"),
        ("ssh://git@github.com/someone/cookbook", "https://github.com/someone/cookbook"),
        ("https://gitlab.com/someone/cookbook.git", None),
    ],
)
def test_the_github_address_of_a_clone_comes_from_its_origin(tmp_path, origin, expected):
    import shutil as sh

    if sh.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", origin], check=True)
    assert colab.github_url_of_origin(tmp_path) == expected


def test_no_origin_means_no_derived_address(tmp_path):
    assert colab.github_url_of_origin(tmp_path) is None  # not a clone at all


def test_a_clone_whose_origin_changes_gets_its_new_address(tmp_path):
    import shutil as sh

    if sh.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert colab.github_url_of_origin(tmp_path) is None  # no origin yet
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "https://github.com/a/one"], check=True)
    assert colab.github_url_of_origin(tmp_path) == "https://github.com/a/one"
    subprocess.run(["git", "-C", str(tmp_path), "remote", "set-url", "origin", "https://github.com/b/two"], check=True)
    assert colab.github_url_of_origin(tmp_path) == "https://github.com/b/two", "asked again, not remembered"
