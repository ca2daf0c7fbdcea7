# The cookbook's commands. Each one sets up what it needs first (tools/bootstrap.sh).
PY := .venv/bin/python
NOTEBOOK ?=
JOBS ?= 2

.PHONY: setup lab test lint record record-emulator record-all record-all-emulator

setup:
	@tools/bootstrap.sh

lab: setup  ## open the cookbook in JupyterLab (replay mode until ASSEMBLYAI_API_KEY is set)
	.venv/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: setup  ## every test: units, emulator conformance, secrets, and all notebooks under nbval
	$(PY) -m pytest -n $(JOBS) --dist loadfile

lint: setup
	.venv/bin/ruff check cookbook_utils tools tests notebooks
	.venv/bin/ruff format --check cookbook_utils tools tests

record: setup  ## re-record one notebook against the real API: make record NOTEBOOK=speaker-labels
	@test -n "$(NOTEBOOK)" || (echo "usage: make record NOTEBOOK=<slug>" >&2; exit 2)
	$(PY) -m tools.record $(NOTEBOOK)

record-emulator: setup  ## re-record one notebook against the local emulator
	@test -n "$(NOTEBOOK)" || (echo "usage: make record-emulator NOTEBOOK=<slug>" >&2; exit 2)
	$(PY) -m tools.record --emulator $(NOTEBOOK)

record-all: setup
	$(PY) -m tools.record --all

record-all-emulator: setup
	$(PY) -m tools.record --emulator --all
