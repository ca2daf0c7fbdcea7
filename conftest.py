"""Test-wide settings: every notebook and test runs in replay mode, with no key in sight."""

import os

os.environ["COOKBOOK_MODE"] = "replay"
os.environ.pop("COOKBOOK_RECORD", None)
os.environ.pop("COOKBOOK_API_BASE_URL", None)
# Notebook kernels draw figures with IPython's inline backend, as when they were recorded: an inherited
# MPLBACKEND=Agg would make plt.show() draw nothing. (Without a display, matplotlib picks Agg by itself.)
os.environ.pop("MPLBACKEND", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
