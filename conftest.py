"""Test-wide settings: every notebook and test runs in replay mode, with no key in sight, and no
connection leaves this machine (notebook kernels seal themselves the same way in replay)."""

import os

os.environ["COOKBOOK_MODE"] = "replay"
os.environ.pop("COOKBOOK_RECORD", None)
os.environ.pop("COOKBOOK_API_BASE_URL", None)
os.environ.pop("COOKBOOK_EU_API_BASE_URL", None)
# Notebook kernels draw figures with IPython's inline backend, as when they were recorded: an inherited
# MPLBACKEND=Agg would make plt.show() draw nothing. (Without a display, matplotlib picks Agg by itself.)
os.environ.pop("MPLBACKEND", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_configure(config):
    """Block every non-loopback connection for the whole run, below every HTTP library; nbval's
    kernels talk over Unix sockets (tools/kernels.py: TCP ports race between test workers)."""
    import nbval.kernel

    from cookbook_utils.network import block_network
    from tools.kernels import IPCKernelManager

    nbval.kernel.KernelManager = IPCKernelManager
    block_network("the test suite")


def pytest_runtest_teardown(item):
    """Seal the network again after any test that unsealed it (a live-mode ``setup()`` does, as in a
    kernel that moves from replay to live), so no later test runs with the network open."""
    import cookbook_utils.session
    from cookbook_utils.network import block_network, network_blocked

    if not network_blocked():
        block_network("the test suite")
    cookbook_utils.session._mode = None  # a live setup() in one test does not make the next one live
