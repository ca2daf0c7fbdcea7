#!/usr/bin/env bash
# Test the lower bounds of pyproject.toml: build a separate virtual environment holding the LOWEST
# versions the bounds allow for every direct dependency (uv's lowest-direct resolution, as
# numpy-tutorials' oldest-deps job does), print them, and run the test suite there (unit tests and
# every notebook, the site in the browser).
#
#     tools/lowest_deps.sh              # build .venv-lowest (or reuse it) and run the tests
#     COOKBOOK_LOWEST_VENV=/tmp/low tools/lowest_deps.sh
#
# Extra arguments go to pytest (e.g. `tools/lowest_deps.sh tests/package/test_recording.py`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${COOKBOOK_LOWEST_VENV:-$root/.venv-lowest}"
extras="${COOKBOOK_EXTRAS:-lab,test,recipes,docs}"
python="${PYTHON:-python3}"
cd "$root"

# The system tools (ffmpeg, sox...) come from the main setup; it installs them when missing.
COOKBOOK_VENV="$root/.venv" tools/bootstrap.sh

stamp="$(cat pyproject.toml tools/bootstrap.sh tools/lowest_deps.sh | sha256sum | cut -c1-16)-$extras"
if ! { [ -f "$venv/.cookbook-stamp" ] && [ "$(cat "$venv/.cookbook-stamp")" = "$stamp" ]; }; then
  echo "lowest-deps: building $venv with the lowest versions pyproject.toml allows"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip uv
  # PyTorch's CPU build first, as tools/bootstrap.sh does, so nothing pulls the CUDA wheels.
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "torch==2.13.0"
  # uv reads no pip configuration: hand it the machine's certificates and local wheel folders, if any.
  uv_args=(--python "$venv/bin/python" --resolution lowest-direct)
  [ -f /etc/ssl/certs/ca-certificates.crt ] && export SSL_CERT_FILE="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
  [ -d /opt/wheels ] && uv_args+=(--find-links /opt/wheels)
  "$venv/bin/uv" pip install -q "${uv_args[@]}" -e ".[$extras]"
  echo "$stamp" > "$venv/.cookbook-stamp"
fi

echo "lowest-deps: the direct dependencies' versions in $venv:"
"$venv/bin/python" - <<'EOF'
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
requirements = list(project["dependencies"])
for group in project["optional-dependencies"].values():
    requirements += group
names = sorted({re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0] for r in requirements} - {"cookbook-utils"})
print(f"  python {sys.version.split()[0]}")
for name in names:
    try:
        print(f"  {name} {version(name)}")
    except PackageNotFoundError:
        print(f"  {name} (not installed: an optional backend)")
EOF

# Every tier, one after another as CI runs them in .venv/ (or the tests named): all at once, the browser tests
# share the cores with the rehearsal's scripts, and once (CI, 2026-12-02) the captions page's stream reached
# the emulator too damaged to be recognised.
run_tests() { "$venv/bin/python" -m pytest -n "${JOBS:-$(( $(nproc) * 2 ))}" --dist loadfile --no-loadscope-reorder -p no:randomly "$@"; }
if [ $# -gt 0 ]; then
  run_tests "$@"
else
  run_tests -m "not rehearsal and not end_to_end"
  run_tests -m end_to_end
  run_tests -m rehearsal
fi
