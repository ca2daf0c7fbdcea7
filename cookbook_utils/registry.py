"""The recipe registry, ``recipes.yml``: what each notebook is called, where it belongs, what it needs.

The site's navigation, the README's recipe table and the Colab part of each setup cell are made
from it (``python -m tools.registry``). :func:`problems` lists every way it disagrees with the
notebooks on disk; the tests require that list to be empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .errors import CookbookError
from .yamlio import load_yaml

REGISTRY_FILE = "recipes.yml"
SCHEMA_FILE = "recipes.schema.json"


class RegistryError(CookbookError, ValueError):
    """``recipes.yml`` is malformed: it breaks the schema, lists a slug twice, names an unknown category."""


@dataclass(frozen=True)
class Needs:
    """What a recipe needs: API keys when it runs live, pyproject extras, system tools (commands)."""

    keys: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    system: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    """A section of the cookbook: a folder under ``notebooks/``."""

    slug: str
    title: str
    description: str


@dataclass(frozen=True)
class Recipe:
    """One registry entry, for the notebook ``notebooks/<category>/<slug>.ipynb``."""

    slug: str
    title: str
    category: str
    description: str
    tags: tuple[str, ...] = ()
    needs: Needs = field(default_factory=Needs)
    related: tuple[str, ...] = ()
    #: The LLM Gateway model this recipe asks, when not ``config.LLM_MODEL`` (``llm_model:`` in the registry).
    llm_model: str | None = None

    @property
    def notebook(self) -> str:
        """The notebook's path from the project's root, with forward slashes."""
        return f"notebooks/{self.category}/{self.slug}.ipynb"


@dataclass(frozen=True)
class Registry:
    """Every category and recipe, in the order ``recipes.yml`` lists them."""

    categories: tuple[Category, ...]
    recipes: tuple[Recipe, ...]

    def recipe(self, slug: str) -> Recipe:
        """The entry of one recipe; :class:`RegistryError` if there is none."""
        for recipe in self.recipes:
            if recipe.slug == slug:
                return recipe
        raise RegistryError(f"No recipe {slug!r} in {REGISTRY_FILE}: add an entry for it (see docs/contracts.md).")

    def in_category(self, category: str) -> list[Recipe]:
        """The recipes of one category, in registry order."""
        return [r for r in self.recipes if r.category == category]

    def used_categories(self) -> list[Category]:
        """The categories that hold at least one recipe, in registry order."""
        used = {r.category for r in self.recipes}
        return [c for c in self.categories if c.slug in used]


def schema(root: Path | None = None) -> dict:
    """The JSON Schema of ``recipes.yml`` (``recipes.schema.json`` beside it, else the cookbook's own)."""
    path = (root or paths.project_root()) / SCHEMA_FILE
    if not path.is_file():  # a project of its own (a test's, a fork's subset): the cookbook's schema
        path = Path(__file__).resolve().parents[1] / SCHEMA_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def _where(error) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(error.absolute_path)]
    return "".join(parts) or "the top level"


def validate(data, root: Path | None = None) -> None:
    """Check parsed YAML against the schema; :class:`RegistryError` names every place that breaks it."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(root))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"- {_where(e)}: {e.message}" for e in errors]
        raise RegistryError(
            f"{REGISTRY_FILE} does not match {SCHEMA_FILE}:\n" + "\n".join(lines) + "\n(the format: docs/contracts.md)"
        )


def parse(data: dict, root: Path | None = None) -> Registry:
    """Build a :class:`Registry` from the parsed YAML: the schema first, then what a schema cannot
    say (unique slugs, known categories, ``related`` naming recipes that exist)."""
    validate(data, root)
    categories = tuple(Category(c["slug"], c["title"].strip(), c["description"].strip()) for c in data["categories"])
    known = [c.slug for c in categories]
    if len(set(known)) != len(known):
        raise RegistryError(f"{REGISTRY_FILE}: a category is listed twice: {known}")
    recipes = []
    for entry in data["recipes"]:
        where = f"{REGISTRY_FILE}: recipe {entry['slug']!r}"
        if entry["category"] not in known:
            raise RegistryError(f"{where}: category {entry['category']!r} is not one of {known}")
        needs = entry.get("needs") or {}
        recipes.append(
            Recipe(
                slug=entry["slug"],
                title=entry["title"].strip(),
                category=entry["category"],
                description=entry["description"].strip(),
                tags=tuple(entry.get("tags") or ()),
                needs=Needs(*(tuple(needs.get(n) or ()) for n in ("keys", "extras", "system"))),
                related=tuple(entry.get("related") or ()),
                llm_model=entry.get("llm_model"),
            )
        )
    slugs = [r.slug for r in recipes]
    twice = sorted({s for s in slugs if slugs.count(s) > 1})
    if twice:
        raise RegistryError(f"{REGISTRY_FILE}: recipes listed twice: {twice}")
    for recipe in recipes:
        unknown = [s for s in recipe.related if s not in slugs or s == recipe.slug]
        if unknown:
            raise RegistryError(
                f"{REGISTRY_FILE}: recipe {recipe.slug!r}: related {unknown} name no other recipe in the registry; "
                f"use the slugs of recipes that exist"
            )
    return Registry(categories, tuple(recipes))


def load(root: Path | None = None) -> Registry:
    """Read and check ``recipes.yml`` in the project's root (or ``root``)."""

    path = (root or paths.project_root()) / REGISTRY_FILE
    if not path.is_file():
        raise RegistryError(f"No {REGISTRY_FILE} in {path.parent}: the recipe registry is missing.")
    return parse(load_yaml(path.read_text(encoding="utf-8")), path.parent)


def notebook_title(notebook: Path) -> str | None:
    """The first ``# `` heading of a notebook's first markdown cell."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            return None
    return None


def problems(root: Path | None = None) -> list[str]:
    """Every way the registry and the notebooks on disk disagree (empty when they agree):
    a notebook with no entry, an entry with no notebook, a notebook in another category's
    folder, a folder that is not a category, a title that is not the notebook's heading."""
    root = root or paths.project_root()
    registry = load(root)
    found: list[str] = []
    on_disk = {}
    for path in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts:
            on_disk[path.stem] = path
    folders = {p.name for p in (root / "notebooks").iterdir() if p.is_dir() and not p.name.startswith(".")}
    categories = {c.slug for c in registry.categories}
    for folder in sorted(folders - categories):
        found.append(f"notebooks/{folder}/ is not a category in {REGISTRY_FILE}: add it under 'categories'")
    entries = {r.slug: r for r in registry.recipes}
    for slug in sorted(set(on_disk) - set(entries)):
        found.append(f"{on_disk[slug].relative_to(root)} has no entry in {REGISTRY_FILE}: add one (docs/contracts.md)")
    for slug in sorted(set(entries) - set(on_disk)):
        found.append(f"{REGISTRY_FILE} lists {slug!r} but there is no {entries[slug].notebook}")
    for slug in sorted(set(entries) & set(on_disk)):
        recipe, path = entries[slug], on_disk[slug]
        if path.relative_to(root).as_posix() != recipe.notebook:
            found.append(f"{REGISTRY_FILE} puts {slug!r} in {recipe.category!r}, but it is {path.relative_to(root)}")
        title = notebook_title(path)
        if title != recipe.title:
            found.append(f"{slug}: the registry's title {recipe.title!r} is not the notebook's heading {title!r}")
    return found
