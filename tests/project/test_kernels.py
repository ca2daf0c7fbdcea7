"""The suite's and the tools' notebook kernels listen on Unix sockets of their own (tools/kernels.py),
so kernels started at once by several test workers cannot race for a TCP port; nbval's start from a
process that has imported what the notebooks import first, and are otherwise the kernel a reader's
JupyterLab starts: in the notebook's folder and environment, with figures inline."""

from __future__ import annotations

import os
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from tools.kernels import IPCAsyncKernelManager, IPCKernelManager, PreloadedKernelManager, _Forked

PROBE = """import os, sys
print(sorted(m for m in ("pandas", "assemblyai", "tools") if m in sys.modules))
print(os.getcwd(), os.environ.get("COOKBOOK_PROBE"), os.environ["MPLBACKEND"])
print(sys.path)"""
FIGURE = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()"


def test_each_kernel_gets_unix_sockets_of_its_own():
    first, second = IPCKernelManager(kernel_name="python3"), IPCKernelManager(kernel_name="python3")
    assert first.transport == second.transport == "ipc"
    assert first.ip != second.ip and first.ip.startswith("/")
    assert IPCAsyncKernelManager(kernel_name="python3").transport == "ipc"


@pytest.mark.end_to_end  # kernels of their own (make test-e2e)
def test_a_notebook_runs_on_a_socket_kernel_and_nbval_uses_a_preloaded_one():
    import nbval.kernel

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    client = NotebookClient(nb, kernel_name="python3", kernel_manager_class=IPCAsyncKernelManager)
    client.execute()
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert nbval.kernel.KernelManager is PreloadedKernelManager, "conftest.py gives nbval the preloaded kernels"


def _run(cwd, *cells: str) -> tuple[list[list[dict]], object]:
    """Run ``cells`` on a kernel of nbval's kind in ``cwd``; their outputs and the kernel's process."""
    manager = PreloadedKernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(cwd))
    process = manager.provisioner.process
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        outputs = []
        for code in cells:
            shown: list[dict] = []
            client.execute_interactive(code, timeout=120, output_hook=lambda m, s=shown: s.append(m))
            outputs.append([m for m in shown if m["msg_type"] in ("stream", "display_data", "error")])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    return outputs, process


def _from_this_environment(monkeypatch) -> None:
    """A preloader started in the worker's environment as it is now (a test that ran before in this
    worker may have changed it)."""
    from tools.kernels import _comparable, _Preloader

    if _Preloader._instance and _Preloader._instance.env != _comparable(dict(os.environ)):
        monkeypatch.setattr(_Preloader, "_instance", None)


@pytest.mark.end_to_end  # kernels of their own (make test-e2e)
def test_a_preloaded_kernel_is_a_readers_kernel_with_its_modules_already_imported(tmp_path, monkeypatch):
    _from_this_environment(monkeypatch)
    (outputs, figure), process = _run(tmp_path, PROBE, FIGURE)
    assert isinstance(process, _Forked) and process.poll() is not None, "forked, and gone after shutdown"
    preloaded, where, path = outputs[0]["content"]["text"].splitlines()
    assert preloaded == "['assemblyai', 'pandas']", "preloaded, without the cookbook's tools"
    assert where == f"{tmp_path} None module://matplotlib_inline.backend_inline", "its folder, the inline backend"
    monkeypatch.setenv("COOKBOOK_PROBE", "fresh")  # another environment: a kernel started as JupyterLab does
    (fresh,), _ = _run(tmp_path, PROBE)
    assert path == fresh[0]["content"]["text"].splitlines()[2], "the import path of a kernel started fresh"
    assert any("image/png" in m["content"].get("data", {}) for m in figure), "the figure is drawn inline"


@pytest.mark.end_to_end  # kernels of their own (make test-e2e)
def test_a_kernel_in_another_environment_starts_fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKBOOK_PROBE", "set")
    (outputs,), process = _run(tmp_path, PROBE)
    assert not isinstance(process, _Forked)
    assert outputs[0]["content"]["text"].startswith(f"[]\n{tmp_path} set "), "nothing preloaded; its own variables"


@pytest.mark.parametrize("command", [["python", "-m", "ipykernel_launcher"], [sys.executable, "-m", "other"]])
def test_only_this_interpreters_ipykernel_is_forked(command, monkeypatch):
    from tools.kernels import _Preloader

    _from_this_environment(monkeypatch)
    assert not _Preloader.can_start([*command, "-f", "kernel.json"], dict(os.environ))
    assert _Preloader.can_start([sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"], dict(os.environ))


def test_what_importing_scikit_learn_or_torch_sets_does_not_stop_kernels_forking(monkeypatch):
    from tools.kernels import _Preloader

    _from_this_environment(monkeypatch)
    env = {**os.environ, "KMP_DUPLICATE_LIB_OK": "True", "KMP_INIT_AT_FORK": "FALSE", "TORCHINDUCTOR_CACHE_DIR": "/t"}
    assert _Preloader.can_start([sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"], env)
    assert not _Preloader.can_start([sys.executable, "-m", "ipykernel_launcher"], {**env, "COOKBOOK_MODE": "live"})
