"""Run a notebook's "whole recipe in one cell" as a reader who pasted it into a script does.

    python -m tools.whole_recipe speaker-labels          # run it against the emulator, compare
    python -m tools.whole_recipe speaker-labels --show   # print the script only

The cell after the heading "## The whole recipe in one cell" is written to a fresh ``.py`` file and
run by a new interpreter, with nothing from the notebook's earlier cells. The script is changed in
two ways only, both what a reader does when pasting: the cookbook's files, ``session.audio("x")``,
``session.media("x")`` and ``session.text("x")``, become the plain path of that file; and the real
API's addresses point at the local emulator (the SDK's own environment variables ``ASSEMBLYAI_BASE_URL`` and
``ASSEMBLYAI_LLM_GATEWAY_BASE_URL``, and each real origin written in the code, such as
``"streaming.assemblyai.com"``, replaced by the emulator's). What else a script reads from its
environment (a reader's ``COOKBOOK_*`` setting) the caller passes in ``env``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cookbook_utils import config, paths

HEADING = "## The whole recipe in one cell"
OFFLINE_SITE = Path(__file__).with_name("offline_site")
_AUDIO = re.compile(
    r"""str\(session\.(audio|media|text)\(\s*(["'])([^"']+)\2\s*\)\)|session\.(audio|media|text)\(\s*(["'])([^"']+)\5\s*\)"""
)
#: Names of the notebook's setup that a pasted script cannot have.
NOTEBOOK_ONLY = ("session", "get_ipython")


def whole_recipe_cell(nb: nbformat.NotebookNode) -> tuple[int, str]:
    """``(index, source)`` of the code cell that follows the whole-recipe heading."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith(HEADING):
            for later in range(index + 1, len(nb.cells)):
                if nb.cells[later].cell_type == "code":
                    return later, nb.cells[later].source
    raise LookupError(f"no code cell after a {HEADING!r} heading")


def real_origins(emulator) -> dict[str, str]:
    """Each real address a script may write, and the emulator's address that answers for it."""
    streaming = emulator.streaming_url
    return {
        f"https://{config.EU_LLM_GATEWAY_HOST}": emulator.eu_base_url,
        f"https://{config.EU_API_HOST}": emulator.eu_base_url,
        **{f"https://{host}": base for host, base in emulator.stand_ins.items()},
        config.LLM_GATEWAY_BASE_URL: emulator.base_url,
        config.API_BASE_URL: emulator.base_url,
        "wss://streaming.assemblyai.com": streaming,
        "streaming.assemblyai.com": streaming,
        # WebSocket sessions a script opens itself on a host that also answers HTTP (voice agents, TTS)
        **{f"wss://{host}": base.replace("http://", "ws://", 1) for host, base in emulator.stand_ins.items()},
    }


def as_script(source: str, origins: dict[str, str] | None = None) -> str:
    """The cell's code as a reader's script: audio as plain paths, real origins mapped (``origins``)."""
    if re.search(r"^\s*[%!]", source, re.M):
        raise ValueError("the whole recipe uses IPython syntax (% or !), which a script cannot run")

    def path(match: re.Match) -> str:
        kind, name = (match.group(1), match.group(3)) if match.group(1) else (match.group(4), match.group(6))
        found = {"audio": paths.audio_file, "media": paths.media_file, "text": paths.text_file}[kind](name)
        return repr(str(found))

    script = _AUDIO.sub(path, source)
    left = [name for name in NOTEBOOK_ONLY if name in _names_read(script)]
    if left:
        raise ValueError(f"the whole recipe uses the notebook's {', '.join(left)}, which a pasted script does not have")
    for real, local in (origins or {}).items():
        script = re.sub(rf"(?<=[\"']){re.escape(real)}(?=[\"'/])", local, script)
    return script


def _names_read(source: str) -> set[str]:
    """The names the code reads (words in comments and strings are not names)."""
    import ast

    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def undefined_names(source: str) -> list[str]:
    """Names the code reads but neither imports, defines nor assigns anywhere (a rough, scope-blind
    check: what a pasted script would meet as a ``NameError``)."""
    import ast
    import builtins

    tree = ast.parse(source)
    bound, read = set(dir(builtins)), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            pass
        elif isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return sorted(read - bound)


@dataclass
class Run:
    """A script's run: its code, exit status and output."""

    script: str
    returncode: int
    stdout: str
    stderr: str


def run_script(script: str, env: dict[str, str], timeout_s: float = 600, cwd: Path | None = None) -> Run:
    """Run ``script`` with a new interpreter (this one's executable) in ``cwd`` (a fresh folder)."""
    with tempfile.TemporaryDirectory(prefix="whole-recipe-") as folder:
        file = Path(folder) / "recipe.py"
        file.write_text(script, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(file)],
            cwd=cwd or folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    return Run(script, done.returncode, done.stdout, done.stderr)


def _returned_hosts(emulator) -> dict[str, str]:
    """The stand-ins for hosts the API only names in its answers (a redacted_audio_url's S3 host),
    which a script cannot map in its own source: ``tools/offline_site`` routes them below httpx."""
    from tools.emulator import redacted_audio

    return {redacted_audio.HOST: emulator.stand_ins[redacted_audio.HOST]}


def script_env(emulator, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment for a script: the SDK's variables pointing at ``emulator``, live, no
    cookbook mode, a non-interactive matplotlib, and ``extra``."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "XDG_CACHE_HOME", "HF_HOME")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "ASSEMBLYAI_API_KEY": emulator.api_key,
            "ASSEMBLYAI_BASE_URL": emulator.base_url,
            "ASSEMBLYAI_LLM_GATEWAY_BASE_URL": emulator.base_url,
            "ASSEMBLYAI_SYNC_BASE_URL": emulator.stand_ins[config.SYNC_HOST],
            "ASSEMBLYAI_DICTATION_BASE_URL": emulator.stand_ins[config.DICTATION_HOST],
            "ASSEMBLYAI_TTS_BASE_URL": emulator.stand_ins[config.TTS_HOST],
            "COOKBOOK_SCRIPT_ROUTES": json.dumps(_returned_hosts(emulator)),
            "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1",
            "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(OFFLINE_SITE),  # the script cannot reach the network (tools/offline_site)
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    env.update(extra or {})
    return env


def stored_stdout(nb: nbformat.NotebookNode, index: int) -> str:
    """What the notebook shows the cell printed (its stdout streams, joined)."""
    return "".join(
        o.text for o in nb.cells[index].get("outputs", []) if o.output_type == "stream" and o.name == "stdout"
    )


def run_whole_recipe(slug: str, env: dict[str, str] | None = None, **emulator_settings) -> tuple[Run, str]:
    """Run ``slug``'s whole recipe alone against a fresh emulator: ``(run, what the notebook shows)``."""
    from tools.emulator import Emulator

    nb = nbformat.read(paths.notebook_path(slug), as_version=4)
    index, source = whole_recipe_cell(nb)
    with Emulator(api_key="whole-recipe-key", notebook=slug, **emulator_settings) as emulator:
        script = as_script(source, real_origins(emulator))
        run = run_script(script, script_env(emulator, env))
    return run, stored_stdout(nb, index)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slug")
    parser.add_argument("--show", action="store_true", help="print the script and stop")
    args = parser.parse_args(argv)
    nb = nbformat.read(paths.notebook_path(args.slug), as_version=4)
    if args.show:
        print(as_script(whole_recipe_cell(nb)[1]))
        return 0
    try:  # what the test suite gives a script that needs the reader's input (a bucket, a video...)
        from tests.project.whole_recipe_inputs import INPUTS
    except ImportError:
        INPUTS = {}
    inputs = INPUTS.get(args.slug)
    with tempfile.TemporaryDirectory(prefix="whole-recipe-inputs-") as folder:
        if inputs is None:
            run, shown = run_whole_recipe(args.slug)
        else:
            with inputs(Path(folder)) as extra:
                run, shown = run_whole_recipe(args.slug, extra)
    print(run.stdout, end="")
    print(run.stderr[-3000:], end="", file=sys.stderr)
    same = run.stdout == shown
    print(f"\nexit {run.returncode}; stdout {'matches' if same else 'differs from'} the notebook's", file=sys.stderr)
    return 0 if run.returncode == 0 and same else 1


if __name__ == "__main__":
    sys.exit(main())
