"""The whole recipe repeats, word for word, the definitions its steps taught (a reader copies one cell;
the lesson is still written once, in the steps): :func:`copies` says which it repeats and which of
those differ from the steps' own."""

from __future__ import annotations

import ast

import nbformat

from cookbook_utils import paths
from tools.whole_recipe import whole_recipe_cell


def _definitions(source: str) -> dict[str, str]:
    """Top-level functions, classes and UPPER_CASE constants of ``source``, as AST dumps."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell with IPython syntax (``!yt-dlp ...``) defines nothing to compare
        return {}
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = ast.dump(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    found[target.id] = ast.dump(node)
    return found


def copies(slug: str) -> tuple[set[str], set[str]]:
    """``(repeated, differing)``: the names the whole recipe defines that earlier cells define too,
    and those of them whose definition is not the same."""
    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    index, whole = whole_recipe_cell(nb)
    steps: dict[str, str] = {}
    for cell in nb.cells[:index]:
        if cell.cell_type == "code":
            steps.update(_definitions(cell.source))
    mine = _definitions(whole)
    repeated = {name for name in mine if name in steps}
    return repeated, {name for name in repeated if mine[name] != steps[name]}
