"""Notebook kernels that talk over Unix sockets instead of TCP ports, for the test suite and the tools
that run notebooks (record, rehearse).

Over TCP, jupyter_client picks each kernel's five ports by binding to port 0 and letting go; with
several test workers starting kernels at once, another process can take a port in between, and the
kernel then never answers: "Kernel didn't respond in N seconds" (CI met it on a loaded 2-core
machine). Unix sockets have no ports to race for: each kernel's are files in a folder of this
process, removed when it exits.

nbval's kernels (``PreloadedKernelManager``) also start from a process that has already imported
what nearly every notebook imports first (``PRELOAD``: ipykernel, pandas, matplotlib's core, the
SDK...): it forks, and the child becomes the kernel, as ``python -m ipykernel_launcher`` would, in
the notebook's folder and environment. Each of the suite's 43 kernels saves about 1.3 of its 3
CPU-seconds that way (measured on 8 notebooks: 15.1 CPU-s against 25.2). The notebooks still import them, cell by cell,
as a reader's kernel does (the names bind from ``sys.modules``), and matplotlib is preloaded under
the inline backend ipykernel itself selects. A kernel whose environment differs from the one the
modules were imported in, or any other command, starts as a fresh process instead. The tools
(record, rehearse, refresh) always start fresh kernels.
"""

from __future__ import annotations

import atexit
import functools
import gc
import importlib
import json
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from jupyter_client import AsyncKernelManager, KernelManager
from traitlets import default

#: What the preloading process imports before it forks kernels (nbval's kernels only).
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.figure",
    "requests",
    "httpx",
    "yaml",
    "vcr",
    "assemblyai",
)
#: The backend ipykernel selects (kernelapp: MPLBACKEND, when unset), set while matplotlib is imported.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Variables left out when environments are compared: those jupyter_client sets per kernel and pytest per
#: test, and those importing scikit-learn, PyTorch or sentence-transformers sets in a test worker (Intel
#: OpenMP's ``KMP_*``, ``TORCHINDUCTOR_CACHE_DIR``). None of PRELOAD reads them when imported, and the kernel
#: itself always gets the environment it was asked for, these included.
_PER_KERNEL = ("JPY_", "PYDEVD_", "IPY_", "PYTEST_CURRENT_TEST", "KMP_", "TORCHINDUCTOR_")


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


class PreloadedKernelManager(IPCKernelManager):
    """nbval's kernel manager: a socket kernel forked from the preloading process of this test
    worker when the command is ipykernel's and the environment is the one it imported in."""

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        env = kw.get("env") or dict(os.environ)
        if not _Preloader.can_start(kernel_cmd, env):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        provisioner, cwd = self.provisioner, str(kw.get("cwd") or os.getcwd())
        process = _Preloader.get().start(kernel_cmd, env, cwd)
        provisioner.process, provisioner.pid, provisioner.pgid, provisioner.cwd = process, process.pid, process.pid, cwd
        self._reconcile_connection_info(provisioner.connection_info)


def _comparable(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(_PER_KERNEL)}


class _Forked:
    """A kernel forked by the preloading process, with what jupyter_client asks of a ``Popen``
    (it is the preloader's child, which reaps it; gone means ended)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Preloader:
    """The process of this test worker that has imported PRELOAD and forks a kernel per request
    (``python -m tools.kernels SOCKET``; it exits when the worker does)."""

    _instance: _Preloader | None = None

    def __init__(self) -> None:
        self.path = os.path.join(_socket_folder(), "preloader")
        self.env = _comparable(dict(os.environ))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.kernels", self.path],
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            stdin=subprocess.DEVNULL,
        )
        atexit.register(self.stop)

    def stop(self) -> None:
        """End the preloader (its kernels have been shut down by then) and reap it."""
        self.process.terminate()
        self.process.wait(timeout=30)

    @classmethod
    def get(cls) -> _Preloader:
        if cls._instance is None or cls._instance.process.poll() is not None:
            cls._instance = cls()
        return cls._instance

    @classmethod
    def can_start(cls, kernel_cmd: list[str], env: dict[str, str]) -> bool:
        """Whether the command is this interpreter's ipykernel and ``env`` is the one the preloaded
        modules were imported in (this worker's, as when the preloader started)."""
        if kernel_cmd[:3] != [sys.executable, "-m", "ipykernel_launcher"]:
            return False
        return _comparable(env) == (cls._instance.env if cls._instance else _comparable(dict(os.environ)))

    def start(self, kernel_cmd: list[str], env: dict[str, str], cwd: str) -> _Forked:
        request = json.dumps({"argv": kernel_cmd[3:], "env": env, "cwd": cwd}).encode() + b"\n"
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                    client.connect(self.path)
                    client.sendall(request)
                    answer = client.makefile("rb").readline()
                return _Forked(int(answer))
            except (FileNotFoundError, ConnectionRefusedError, ValueError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the kernel preloader ended or did not answer ({self.path})") from None
                time.sleep(0.05)


def _become_kernel(request: dict) -> None:
    """In the forked child: the kernel ``python -m ipykernel_launcher ARGV`` would be, in its own
    session, folder and environment."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits when its parent does
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.path[0] = os.getcwd()  # where `python -m` puts the folder it starts in (the preloader's, so far)
    for name in [m for m in sys.modules if m == "tools" or m.startswith("tools.")]:
        del sys.modules[name]
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    # The installed launcher itself, as `python -m ipykernel_launcher` runs it (what it does with sys.path
    # differs between ipykernel versions).
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


def _reap(*_) -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _serve(path: str) -> None:
    """Import PRELOAD, then fork a kernel for each request on the socket at ``path``."""
    had_backend = "MPLBACKEND" in os.environ
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in PRELOAD:
        importlib.import_module(name)
    if not had_backend:
        del os.environ["MPLBACKEND"]
    gc.freeze()  # the kernels' collections then skip the preloaded objects, leaving their pages shared
    signal.signal(signal.SIGCHLD, _reap)
    parent = os.getppid()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    server.settimeout(1.0)
    while os.getppid() == parent:
        try:
            connection, _ = server.accept()
        except TimeoutError:
            continue
        with connection:
            request = json.loads(connection.makefile("rb").readline())
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    server.close()
                    connection.close()
                    _become_kernel(request)
                    code = 0
                finally:
                    os._exit(code)
            connection.sendall(f"{pid}\n".encode())


if __name__ == "__main__":
    _serve(sys.argv[1])
