"""For a whole-recipe script that serves until Ctrl-C (gradio-ui's ``app.launch()``): the script
runs as Python runs it interactively, so a server that blocks a script's main thread returns at
once instead (Gradio asks ``sys.ps1``), and the server stops when the script ends. It stands in for
the reader who opens the page and then presses Ctrl-C. The offline guard of ``tools/offline_site``
is kept. Put on ``PYTHONPATH`` by ``tests/project/whole_recipe_inputs.py`` alone."""

import runpy
import sys
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[3] / "tools" / "offline_site" / "sitecustomize.py"))
sys.ps1 = ">>> "
