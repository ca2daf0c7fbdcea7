"""Notebook kernels that talk over Unix sockets instead of TCP ports, for the test suite and the tools
that run notebooks (record, rehearse).

Over TCP, jupyter_client picks each kernel's five ports by binding to port 0 and letting go; with
several test workers starting kernels at once, another process can take a port in between, and the
kernel then never answers: "Kernel didn't respond in N seconds" (CI met it on a loaded 2-core
machine). Unix sockets have no ports to race for: each kernel's are files in a folder of this
process, removed when it exits.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
import uuid

from jupyter_client import AsyncKernelManager, KernelManager
from traitlets import default


@functools.cache
def _socket_folder() -> str:
    folder = tempfile.mkdtemp(prefix="cookbook-kernels-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _socket_prefix() -> str:
    """A path no other kernel uses: the kernel adds ``-1`` ... ``-5`` for its five sockets."""
    return os.path.join(_socket_folder(), uuid.uuid4().hex[:12])


class IPCKernelManager(KernelManager):
    """A kernel manager whose kernel listens on Unix sockets of its own (nbval's kernels)."""

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default_socket(self) -> str:
        return _socket_prefix()


class IPCAsyncKernelManager(AsyncKernelManager):
    """The same, for nbclient's ``NotebookClient`` (``kernel_manager_class=IPCAsyncKernelManager``)."""

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default_socket(self) -> str:
        return _socket_prefix()
