"""The recipe registry, ``recipes.yml``: what each notebook is called, where it belongs, what it needs.

The site's navigation, the README's recipe table and the Colab part of each setup cell are made
from it (``python -m tools.registry``). :func:`problems` lists every way it disagrees with the
notebooks on disk; the tests require that list to be empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .errors import CookbookError

REGISTRY_FILE = "recipes.yml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RECIPE_FIELDS = {"slug", "title", "category", "description", "tags", "needs"}
NEEDS_FIELDS = {"keys", "extras", "system"}


class RegistryError(CookbookError, ValueError):
    """``recipes.yml`` is malformed: a missing field, a duplicate slug, an unknown category."""


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


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RegistryError(f"{where} must be a list of non-empty strings, not {value!r}")
    return tuple(value)


def _text(entry: dict, name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RegistryError(f"{where}: '{name}' must be a non-empty string")
    return value.strip()


def parse(data: dict) -> Registry:
    """Build a :class:`Registry` from the parsed YAML, checking every field."""
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise RegistryError(f"{REGISTRY_FILE} needs a 'categories' list and a 'recipes' list")
    categories = []
    for i, entry in enumerate(data["categories"]):
        where = f"{REGISTRY_FILE}: categories[{i}]"
        slug = _text(entry, "slug", where)
        categories.append(Category(slug, _text(entry, "title", where), _text(entry, "description", where)))
    known = [c.slug for c in categories]
    if len(set(known)) != len(known):
        raise RegistryError(f"{REGISTRY_FILE}: a category is listed twice: {known}")
    recipes = []
    for i, entry in enumerate(data.get("recipes") or []):
        where = f"{REGISTRY_FILE}: recipes[{i}]"
        if not isinstance(entry, dict):
            raise RegistryError(f"{where} must be a mapping")
        unknown = set(entry) - RECIPE_FIELDS
        if unknown:
            raise RegistryError(f"{where}: unknown fields {sorted(unknown)}; the fields are {sorted(RECIPE_FIELDS)}")
        slug = _text(entry, "slug", where)
        where = f"{REGISTRY_FILE}: recipe {slug!r}"
        if not SLUG.match(slug):
            raise RegistryError(f"{where}: a slug is lower-case words joined by hyphens")
        category = _text(entry, "category", where)
        if category not in known:
            raise RegistryError(f"{where}: category {category!r} is not one of {known}")
        needs = entry.get("needs") or {}
        if not isinstance(needs, dict) or set(needs) - NEEDS_FIELDS:
            raise RegistryError(f"{where}: 'needs' takes only {sorted(NEEDS_FIELDS)}")
        recipes.append(
            Recipe(
                slug=slug,
                title=_text(entry, "title", where),
                category=category,
                description=_text(entry, "description", where),
                tags=_strings(entry.get("tags"), f"{where}: tags"),
                needs=Needs(*(_strings(needs.get(n), f"{where}: needs.{n}") for n in ("keys", "extras", "system"))),
            )
        )
    slugs = [r.slug for r in recipes]
    twice = sorted({s for s in slugs if slugs.count(s) > 1})
    if twice:
        raise RegistryError(f"{REGISTRY_FILE}: recipes listed twice: {twice}")
    return Registry(tuple(categories), tuple(recipes))


def load(root: Path | None = None) -> Registry:
    """Read and check ``recipes.yml`` in the project's root (or ``root``)."""
    import yaml

    path = (root or paths.project_root()) / REGISTRY_FILE
    if not path.is_file():
        raise RegistryError(f"No {REGISTRY_FILE} in {path.parent}: the recipe registry is missing.")
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")))


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
