"""The suite's and the tools' notebook kernels listen on Unix sockets of their own (tools/kernels.py),
so kernels started at once by several test workers cannot race for a TCP port."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from tools.kernels import IPCAsyncKernelManager, IPCKernelManager


def test_each_kernel_gets_unix_sockets_of_its_own():
    first, second = IPCKernelManager(kernel_name="python3"), IPCKernelManager(kernel_name="python3")
    assert first.transport == second.transport == "ipc"
    assert first.ip != second.ip and first.ip.startswith("/")
    assert IPCAsyncKernelManager(kernel_name="python3").transport == "ipc"


def test_a_notebook_runs_on_a_socket_kernel_and_nbval_uses_one():
    import nbval.kernel

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    client = NotebookClient(nb, kernel_name="python3", kernel_manager_class=IPCAsyncKernelManager)
    client.execute()
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert nbval.kernel.KernelManager is IPCKernelManager, "conftest.py gives nbval the socket kernels"
