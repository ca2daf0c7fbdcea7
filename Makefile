# The cookbook's commands. Each one sets up what it needs first (tools/bootstrap.sh).
PY := .venv/bin/python
NOTEBOOK ?=
# Test workers: twice the cores, and one more. A notebook test spends much of its time waiting (a kernel starting,
# a real-time stream), and the real-time files go to two workers of their own (conftest.py: SCOPES), so the rest
# keeps both cores busy (on 2 cores, 2026-12-03: `make test` took 169 s with 5 workers, 177 s with 4, 207 s with 6).
JOBS ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))
# Whole test files (or the groups of conftest.py's SCOPES) go to the workers longest first, by their times in
# tests/durations.json (`make durations` writes it again): xdist's own order, most tests first, left the long
# real-time files for last.
DIST := --dist loadfile --no-loadscope-reorder
# The cookbook's own modules are compiled once and kept in __pycache__/ (git ignores it), even where the
# environment asks Python not to: every test worker, kernel and script would compile them again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup lab test test-e2e test-lowest durations lint docs docs-serve screenshots registry record record-emulator record-all record-all-emulator replay rehearse probe-live probe-emulator refresh

setup:
	@tools/bootstrap.sh

lab: setup  ## open the cookbook in JupyterLab (replay mode until ASSEMBLYAI_API_KEY is set)
	.venv/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: setup  ## units, emulator conformance, secrets, all notebooks under nbval (not the end-to-end tier or the rehearsal)
	$(PY) -m pytest -n $(JOBS) $(DIST) $(PYTEST_ARGS) -m "not rehearsal and not end_to_end"

test-e2e: setup  ## the cookbook's tools and pages end to end (CI): notebooks recorded, refreshed, rehearsed and re-run in kernels of their own, the probe and the registry's writers run whole, the site built and its pages read, in Chromium too
	$(PY) -m pytest -n $(JOBS) $(DIST) $(PYTEST_ARGS) -m end_to_end

durations: setup  ## after adding or changing tests: store each test file's time in tests/durations.json (the order files are run in)
	$(MAKE) test PYTEST_ARGS=--store-durations
	$(MAKE) test-e2e PYTEST_ARGS=--store-durations
	$(PY) -m pytest -n $(JOBS) $(DIST) --store-durations -m rehearsal

test-lowest:  ## the suite again in .venv-lowest/, with the lowest versions pyproject.toml allows (slow; .ci/run runs it after `make test`)
	tools/lowest_deps.sh

docs: setup  ## build the documentation site into build/site/ from the notebooks' stored outputs (offline)
	$(PY) -m tools.site

docs-serve: docs  ## build the site and serve it on http://127.0.0.1:8000/
	$(PY) -m http.server --bind 127.0.0.1 --directory build/site 8000

screenshots: setup  ## the site's browser tests, saving a full-page screenshot of every recipe page to build/test-artifacts/
	COOKBOOK_SCREENSHOTS=all $(PY) -m pytest -p no:randomly tests/project/test_site.py

registry: setup  ## after editing recipes.yml: rewrite the README's recipe table and the notebooks' setup cells
	$(PY) -m tools.registry --write

lint: setup
	.venv/bin/ruff check cookbook_utils tools tests notebooks
	.venv/bin/ruff format --check cookbook_utils tools tests

record: setup  ## re-record one notebook against the real API: make record NOTEBOOK=speaker-labels
	@test -n "$(NOTEBOOK)" || (echo "usage: make record NOTEBOOK=<slug>" >&2; exit 2)
	$(PY) -m tools.record $(NOTEBOOK)

record-emulator: setup  ## re-record one notebook against the local emulator
	@test -n "$(NOTEBOOK)" || (echo "usage: make record-emulator NOTEBOOK=<slug>" >&2; exit 2)
	$(PY) -m tools.record --emulator $(NOTEBOOK)

replay: setup  ## after an edit that sends the same requests: store a notebook's outputs from its recording
	@test -n "$(NOTEBOOK)" || (echo "usage: make replay NOTEBOOK=<slug>" >&2; exit 2)
	$(PY) -m tools.record --replay $(NOTEBOOK)

record-all: setup
	$(PY) -m tools.record --all

record-all-emulator: setup
	$(PY) -m tools.record --emulator --all --jobs $(shell nproc)

rehearse: setup  ## what readers run (CI): every whole recipe as a pasted script with the failures it handles, a free-account reader, then every notebook live against an emulator that answers as the internet does
	$(PY) -m pytest -n $(JOBS) $(DIST) $(PYTEST_ARGS) -m rehearsal
	$(PY) -m tools.rehearse --all --jobs $(shell nproc)

probe-live: setup  ## check the emulator's assumptions against the real API (needs ASSEMBLYAI_API_KEY; a few cents)
	$(PY) -m tools.probe --live

probe-emulator: setup  ## the same checks against an emulator started in-process (offline; must pass, CI)
	$(PY) -m tools.probe --emulator

refresh: setup  ## probe the real API, re-record every notebook, summarise the diff in build/refresh/summary.md (the weekly workflow)
	$(PY) -m tools.refresh --summary build/refresh/summary.md
