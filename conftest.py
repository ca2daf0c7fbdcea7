"""Test-wide settings: every notebook and test runs in replay mode, with no key in sight."""

import os

os.environ["COOKBOOK_MODE"] = "replay"
os.environ.pop("COOKBOOK_RECORD", None)
os.environ.pop("COOKBOOK_API_BASE_URL", None)
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
