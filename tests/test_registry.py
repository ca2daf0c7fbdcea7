"""The recipe registry: it lists exactly the notebooks on disk, in their folders, and the README table and
the setup cells are what tools/registry.py writes from it."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from cookbook_utils import colab, paths, registry
from tools import registry as tool

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = registry.load(ROOT)


def test_the_registry_and_the_notebooks_agree():
    assert registry.problems(ROOT) == []


def test_every_recipe_has_its_notebook_and_every_notebook_its_recipe():
    on_disk = {slug: path.relative_to(ROOT).as_posix() for slug, path in paths.notebooks().items()}
    assert on_disk, "no notebooks found"
    assert {r.slug: r.notebook for r in REGISTRY.recipes} == on_disk


def test_categories_are_the_folders_under_notebooks():
    folders = {p.name for p in (ROOT / "notebooks").iterdir() if p.is_dir()}
    assert folders <= {c.slug for c in REGISTRY.categories}
    for recipe in REGISTRY.recipes:
        assert (ROOT / recipe.notebook).parent.name == recipe.category


def test_the_readme_table_is_the_generated_one():
    readme = (ROOT / "README.md").read_text()
    assert tool.readme_table(REGISTRY) in readme, "run `python -m tools.registry --write-readme`"
    for recipe in REGISTRY.recipes:
        assert f"]({recipe.notebook})" in readme
        assert colab.colab_url(recipe.notebook) in readme


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_the_setup_cell_is_the_generated_one(recipe):
    nb = nbformat.read(ROOT / recipe.notebook, as_version=4)
    source = tool.first_code_cell(nb).source
    block, rest = tool.split_setup_cell(source)
    assert block == tool.colab_block(recipe), "run `python -m tools.registry --write-setup-cells`"
    assert f'cu.setup("{recipe.slug}")' in rest
    assert tool.stale_setup_cells(ROOT, REGISTRY) == []


def test_the_check_command_agrees(capsys):
    assert tool.main([]) == 0
    assert f"{len(REGISTRY.recipes)} recipes" in capsys.readouterr().out


# --- on a throwaway copy of the project: what the checks catch ---------------------------------


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project's registry, README and notebooks."""
    shutil.copy(ROOT / "recipes.yml", tmp_path)
    shutil.copy(ROOT / "README.md", tmp_path)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("COOKBOOK_ROOT", str(tmp_path))
    paths.project_root.cache_clear()
    yield tmp_path
    paths.project_root.cache_clear()


def _edit_registry(project, change):
    data = yaml.safe_load((project / "recipes.yml").read_text())
    change(data)
    (project / "recipes.yml").write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_notebook_without_an_entry_fails(project):
    speakers = project / "notebooks" / "speakers"
    shutil.copy(speakers / "speaker-labels.ipynb", speakers / "meeting-minutes.ipynb")
    assert registry.problems(project) == [
        "notebooks/speakers/meeting-minutes.ipynb has no entry in recipes.yml: add one (docs/contracts.md)"
    ]
    assert tool.main([]) == 1


def test_an_entry_without_a_notebook_fails(project):
    entry = {"slug": "meeting-minutes", "title": "Talk time", "category": "speakers", "description": "Ratios."}
    _edit_registry(project, lambda data: data["recipes"].append(entry))
    assert registry.problems(project) == [
        "recipes.yml lists 'meeting-minutes' but there is no notebooks/speakers/meeting-minutes.ipynb"
    ]


def test_a_notebook_in_another_categorys_folder_fails(project):
    (project / "notebooks/speakers/speaker-labels.ipynb").rename(project / "notebooks/languages/speaker-labels.ipynb")
    found = registry.problems(project)
    assert len(found) == 1 and "puts 'speaker-labels' in 'speakers'" in found[0]


def test_a_folder_that_is_not_a_category_fails(project):
    (project / "notebooks/podcasts").mkdir()
    assert registry.problems(project) == [
        "notebooks/podcasts/ is not a category in recipes.yml: add it under 'categories'"
    ]


def test_a_title_that_is_not_the_notebooks_heading_fails(project):
    _edit_registry(project, lambda data: data["recipes"][0].update(title="Something else"))
    found = registry.problems(project)
    assert len(found) == 1 and "is not the notebook's heading 'Identify speakers with speaker labels'" in found[0]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["recipes"].append(dict(d["recipes"][0])), "listed twice"),
        (lambda d: d["recipes"][0].update(category="podcasts"), "category 'podcasts' is not one of"),
        (lambda d: d["recipes"][0].update(colour="red"), "unknown fields ['colour']"),
        (lambda d: d["recipes"][0].update(slug="Speaker_Labels"), "lower-case words joined by hyphens"),
        (lambda d: d["recipes"][0].update(tags="diarization"), "must be a list of non-empty strings"),
        (lambda d: d["recipes"][0].update(needs={"gpu": True}), "'needs' takes only"),
        (lambda d: d["recipes"][0].pop("description"), "'description' must be a non-empty string"),
    ],
)
def test_malformed_entries_are_refused(project, change, message):
    _edit_registry(project, change)
    with pytest.raises(registry.RegistryError, match=message.replace("[", r"\[").replace("]", r"\]")):
        registry.load(project)


def test_the_writers_bring_a_stale_project_up_to_date_and_are_idempotent(project):
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("Identify speakers with speaker labels](", "Old title]("))
    notebook = project / "notebooks/speakers/speaker-labels.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    _, rest = tool.split_setup_cell(tool.first_code_cell(nb).source)
    tool.first_code_cell(nb).source = rest  # a setup cell without its Colab block
    nbformat.write(nb, notebook)
    assert tool.main([]) == 1

    assert tool.main(["--write"]) == 0
    written = {p: p.read_bytes() for p in [readme, *project.rglob("*.ipynb")]}
    assert tool.main([]) == 0
    assert tool.main(["--write"]) == 0
    assert {p: p.read_bytes() for p in written} == written, "a second --write changed something"
    assert (project / "notebooks/languages/ald-routing.ipynb").read_bytes() == (
        ROOT / "notebooks/languages/ald-routing.ipynb"
    ).read_bytes()


def test_the_setup_cell_installs_the_extras_a_recipe_needs(project):
    _edit_registry(project, lambda d: d["recipes"][0]["needs"].update(extras=["youtube"], system=["ffmpeg"]))
    recipe = registry.load(project).recipe("speaker-labels")
    block = tool.colab_block(recipe)
    assert '"cookbook-utils[youtube] @ git+' in block
    assert tool.main(["--write-setup-cells"]) == 0
    cells = json.loads((project / recipe.notebook).read_text())["cells"]
    assert "cookbook-utils[youtube]" in "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
