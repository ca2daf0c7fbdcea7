"""The recipe registry: it lists exactly the notebooks on disk, in their folders, and the README table and
the setup cells are what tools/registry.py writes from it."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from cookbook_utils import colab, paths, registry
from cookbook_utils.yamlio import load_yaml
from tools import registry as tool

ROOT = Path(__file__).resolve().parents[2]
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
        url = colab.colab_url(recipe.notebook)  # None when the cookbook is unpublished: no Colab link
        assert (f"[Open in Colab]({url})" in readme) if url else "Open in Colab](" not in readme


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_the_setup_cell_is_the_generated_one(recipe):
    nb = nbformat.read(ROOT / recipe.notebook, as_version=4)
    assert tool.first_code_cell(nb).source == tool.colab_block(recipe), "run `make registry`"
    setup = tool.setup_cell(nb).source
    speech = tool.uses_setting(nb, "SPEECH_MODELS")
    assert setup == tool.setup_cell_source(setup, recipe, llm=tool.uses_llm_model(nb), speech=speech), (
        "run `make registry`"
    )
    assert setup.endswith(f'session = cu.setup("{recipe.slug}")')


def test_no_setup_cell_is_stale():
    assert tool.stale_setup_cells(ROOT, REGISTRY) == []


def test_the_speech_models_in_every_setup_cell_are_the_configured_ones():
    from cookbook_utils.config import SPEECH_MODELS

    for recipe in REGISTRY.recipes:
        nb = nbformat.read(ROOT / recipe.notebook, as_version=4)
        setup = tool.setup_cell(nb).source
        literal = [line for line in setup.split("\n") if line.startswith("SPEECH_MODELS = ")]
        if not tool.uses_setting(nb, "SPEECH_MODELS"):  # nothing reads it: no line a reader would wonder at
            assert literal == [], f"{recipe.slug}: SPEECH_MODELS is set but never read: run `make registry`"
            continue
        assert len(literal) == 1, recipe.slug
        assert eval(literal[0].split("=", 1)[1]) == SPEECH_MODELS, f"{recipe.slug}: run `make registry`"


def test_the_llm_model_id_is_written_only_by_the_registry():
    """The LLM Gateway model has one home, config.LLM_MODEL: a notebook names it only on the lines the
    registry writes (``LLM_MODEL = "..."`` in the setup cell, and in a whole-recipe cell that needs its
    own literal), and every other cell reads ``LLM_MODEL``."""
    from cookbook_utils.config import LLM_MODEL

    users = []
    for recipe in REGISTRY.recipes:
        nb = nbformat.read(ROOT / recipe.notebook, as_version=4)
        ids = {LLM_MODEL, recipe.llm_model or LLM_MODEL}
        for number, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            for line in cell.source.split("\n"):
                if any(i in line for i in ids) and not tool.SETTING_LINE.match(line):
                    users.append(f"{recipe.slug} cell {number}: {line.strip()}")
        if tool.uses_llm_model(nb):
            assert tool.llm_model_block(recipe) in tool.setup_cell(nb).source, f"{recipe.slug}: run `make registry`"
    assert not users, "write LLM_MODEL instead of the model id (the registry writes its value): " + "; ".join(users)


def test_the_registry_writes_the_settings_wherever_a_cell_sets_them():
    cell = 'def run():\n    LLM_MODEL = "old-model"  # a comment\n    SPEECH_MODELS = ["old"]\n    return LLM_MODEL'
    written = tool.write_settings(cell)
    assert f"    LLM_MODEL = {tool.setting_literal('LLM_MODEL')}\n" in written
    assert f"    SPEECH_MODELS = {tool.setting_literal('SPEECH_MODELS')}\n" in written
    assert "old" not in written and written.endswith("return LLM_MODEL")
    own = REGISTRY.recipe("follow-up-questions")  # a recipe with a model of its own in recipes.yml
    assert own.llm_model and own.llm_model != tool.setting_literal("LLM_MODEL").strip('"')
    assert f'    LLM_MODEL = "{own.llm_model}"\n' in tool.write_settings(cell, own)


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_going_further_links_the_related_recipes(recipe):
    nb = nbformat.read(ROOT / recipe.notebook, as_version=4)
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source == tool.related_cell_source(REGISTRY, recipe)
    for slug in recipe.related:
        other = REGISTRY.recipe(slug)
        link = f"../{other.category}/{other.slug}.ipynb"
        assert f"]({link})" in last.source
        assert ((ROOT / recipe.notebook).parent / link).resolve() == (ROOT / other.notebook).resolve()


def test_the_check_command_agrees(capsys):
    assert tool.main([]) == 0
    assert f"{len(REGISTRY.recipes)} recipes" in capsys.readouterr().out


# --- on a throwaway copy of the project: what the checks catch ---------------------------------


def _edit_registry(project, change):
    data = load_yaml((project / "recipes.yml").read_text())
    change(data)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's, when PyYAML has it: several times faster
    (project / "recipes.yml").write_text(yaml.dump(data, Dumper=dumper, sort_keys=False))


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
        (lambda d: d["recipes"][0].update(colour="red"), "recipes[0]: Additional properties are not allowed ('colour'"),
        (lambda d: d["recipes"][0].update(slug="Speaker_Labels"), "recipes[0].slug: 'Speaker_Labels' does not match"),
        (lambda d: d["recipes"][0].update(tags="diarization"), "recipes[0].tags: 'diarization' is not of type 'array'"),
        (lambda d: d["recipes"][0].update(needs={"gpu": True}), "recipes[0].needs: Additional properties"),
        (lambda d: d["recipes"][0].pop("description"), "recipes[0]: 'description' is a required property"),
        (lambda d: d["recipes"][0].update(related=["talk-time"]), "related ['talk-time'] name no other recipe"),
        (lambda d: d["recipes"][0].update(related=[d["recipes"][0]["slug"]]), "name no other recipe"),
        (lambda d: d["recipes"][0].update(related="structured-qa"), "recipes[0].related: 'structured-qa' is not of"),
        (lambda d: d.pop("categories"), "the top level: 'categories' is a required property"),
    ],
)
def test_malformed_entries_are_refused(project, change, message):
    _edit_registry(project, change)
    with pytest.raises(registry.RegistryError, match=re.escape(message)):
        registry.load(project)


def test_an_invalid_registry_fails_the_check_with_the_schemas_message(project, capsys):
    _edit_registry(project, lambda d: d["recipes"][1].update(tags=[""], needs={"keys": "HF_TOKEN"}))
    with pytest.raises(registry.RegistryError) as raised:
        registry.load(project)
    message = str(raised.value)
    assert message.startswith("recipes.yml does not match recipes.schema.json:")
    assert "- recipes[1].needs.keys: 'HF_TOKEN' is not of type 'array'" in message
    assert "- recipes[1].tags[0]: '' should be non-empty" in message
    with pytest.raises(registry.RegistryError, match="does not match recipes.schema.json"):
        tool.main([])


def test_the_schema_is_a_valid_json_schema_and_the_registry_uses_related():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(registry.schema(ROOT))
    assert all(recipe.related for recipe in REGISTRY.recipes), "every recipe names its related recipes"


@pytest.mark.end_to_end  # the registry's writers run whole on a copy of the project (make test-e2e)
def test_the_writers_bring_a_stale_project_up_to_date_and_are_idempotent(project):
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("Identify speakers with speaker labels](", "Old title]("))
    notebook = project / "notebooks/speakers/speaker-labels.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    colab_cell = tool.first_code_cell(nb)
    setup = tool.setup_cell(nb)
    # an older notebook: the Colab block and the setup code in one cell, no SPEECH_MODELS, no related links
    setup.source = colab_cell.source + "\n\n" + setup.source.replace(tool.speech_models_block() + "\n", "")
    nb.cells = [c for c in nb.cells if c is not colab_cell][:-1]
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


@pytest.mark.end_to_end  # the registry's writers run whole on a copy of the project (make test-e2e)
def test_the_setup_cell_installs_the_extras_a_recipe_needs(project, monkeypatch):
    monkeypatch.setattr("cookbook_utils.config.REPO_URL", "https://github.com/someone/voice-cookbook")
    _edit_registry(project, lambda d: d["recipes"][0]["needs"].update(extras=["youtube"], system=["ffmpeg"]))
    recipe = registry.load(project).recipe("speaker-labels")
    block = tool.colab_block(recipe)
    assert '"cookbook-utils[youtube] @ git+' in block
    assert tool.main(["--write-setup-cells"]) == 0
    cells = json.loads((project / recipe.notebook).read_text())["cells"]
    assert "cookbook-utils[youtube]" in "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


@pytest.mark.end_to_end  # the registry's writers run whole on a copy of the project (make test-e2e)
def test_an_older_notebook_is_brought_to_the_generated_shape(project):
    notebook = project / "notebooks/speakers/speaker-labels.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    colab_cell, setup = tool.first_code_cell(nb), tool.setup_cell(nb)
    setup.source = colab_cell.source + '\n\nimport cookbook_utils as cu\n\nsession = cu.setup("speaker-labels")'
    nb.cells.remove(colab_cell)
    nbformat.write(nb, notebook)
    assert tool.main(["--write-setup-cells"]) == 0
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == tool.colab_block(registry.load(project).recipe("speaker-labels"))
    assert code[1].source == (
        "import cookbook_utils as cu\n\n" + tool.speech_models_block() + '\nsession = cu.setup("speaker-labels")'
    )
    index = nb.cells.index(code[1])
    assert nb.cells[index - 1].cell_type == "markdown", "a sentence between the Colab cell and the setup cell"


def test_a_setup_cell_without_its_last_line_is_refused_with_what_to_write(project):
    notebook = project / "notebooks/speakers/speaker-labels.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    tool.setup_cell(nb).source += "\nprint(session)"
    nbformat.write(nb, notebook)
    with pytest.raises(registry.RegistryError, match=re.escape('must end with `session = cu.setup("speaker-labels")`')):
        tool.main(["--write-setup-cells"])


@pytest.mark.end_to_end  # the registry's writers run whole on a copy of the project (make test-e2e)
def test_a_fork_is_told_to_set_its_repository_address(project, capsys, monkeypatch):
    """REPO_URL wins over the origin; a clone whose GitHub origin differs gets a note (a fork that kept the
    original's REPO_URL), not a failure: its cells stay valid for REPO_URL until it changes it."""
    monkeypatch.setattr("cookbook_utils.config.REPO_URL", "https://github.com/someone/voice-cookbook")
    assert tool.main(["--write"]) == 0
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(
        ["git", "-C", str(project), "remote", "add", "origin", "git@github.com:me/my-cookbook.git"], check=True
    )
    capsys.readouterr()
    assert tool.main([]) == 0
    err = capsys.readouterr().err
    assert "this clone's origin is https://github.com/me/my-cookbook" in err
    assert "set REPO_URL to the fork's address (or to None, to use the origin)" in err


@pytest.mark.end_to_end  # the registry's writers run whole on a copy of the project (make test-e2e)
def test_an_unpublished_cookbook_is_noted_with_how_to_publish_it(project, capsys, monkeypatch):
    monkeypatch.setattr("cookbook_utils.config.REPO_URL", None)
    tool.main(["--write"])
    capsys.readouterr()
    assert tool.main([]) == 0
    assert 'the cookbook is unpublished, so nothing offers "Open in Colab"' in capsys.readouterr().err


def test_a_colab_block_without_its_condition_is_refused():
    with pytest.raises(registry.RegistryError, match='without its `if "google.colab" in sys.modules:` line'):
        tool.split_setup_cell(tool.COLAB_BLOCK_FIRST + "\nimport sys\n")
