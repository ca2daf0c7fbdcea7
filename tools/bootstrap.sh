#!/usr/bin/env bash
# Set up everything the cookbook needs on a fresh Debian machine: the system tools the recipes
# call (ffmpeg, sox, mediainfo, espeak-ng) and a virtual environment with the package and its
# extras. Safe to run again: it installs only what is missing or what pyproject.toml changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${COOKBOOK_VENV:-$root/.venv}"
extras="${COOKBOOK_EXTRAS:-lab,test,recipes,docs}"
python="${PYTHON:-python3}"

# 1. Debian packages (command -> package).
# chromium and chromedriver: the documentation site's browser test (tests/project/test_site.py).
# gcc builds webrtcvad (needed by resemblyzer), which PyPI has only as source.
declare -A needed=([ffmpeg]=ffmpeg [sox]=sox [mediainfo]=mediainfo [espeak-ng]=espeak-ng
                   [chromium]=chromium [chromedriver]=chromium-driver [gcc]=gcc)
missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needed[$cmd]}")
done
# Fonts, checked with fontconfig rather than a command: DejaVu draws the captions the subtitle
# recipes burn into video; a CJK font lets the site, its screenshots and matplotlib show Chinese.
command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi "DejaVuSans.ttf" || missing+=(fonts-dejavu-core)
command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh)" ] || missing+=(fonts-wqy-zenhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
    echo "bootstrap: need root to install ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' and try again" >&2
    exit 1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The virtual environment, rebuilt when pyproject.toml or this script changes.
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "bootstrap: Python 3.11 or newer is needed (found $("$python" --version))" >&2; exit 1; }
stamp="$(cat "$root/pyproject.toml" "$root/tools/bootstrap.sh" | sha256sum | cut -c1-16)-$extras"
if [ -f "$venv/.cookbook-stamp" ] && [ "$(cat "$venv/.cookbook-stamp")" = "$stamp" ]; then
  exit 0
fi
echo "bootstrap: preparing the virtual environment in $venv"
pip_quiet() {  # pip, silent on success (some machines' pip configuration warns for every package)
  local log; log="$(mktemp)"
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; echo "bootstrap: pip install $* failed" >&2; return 1
  fi
  rm -f "$log"
}
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip_quiet --upgrade pip
# PyTorch's CPU build first, so nothing later pulls the CUDA wheels (used by the embedding extras
# and by resemblyzer's speaker encoder).
if [ "${COOKBOOK_TORCH:-auto}" != "skip" ] && grep -qE '"(sentence-transformers|resemblyzer)' "$root/pyproject.toml"; then
  pip_quiet "torch==2.13.0"
fi
pip_quiet -e "$root[$extras]"
echo "$stamp" > "$venv/.cookbook-stamp"
