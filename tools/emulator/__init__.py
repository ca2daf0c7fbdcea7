"""A local emulator of AssemblyAI's API, for making reference recordings without the real service.

    python -m tools.emulator --port 8765 --api-key KEY [--notebook SLUG]

It answers as ``api.assemblyai.com`` (``/v2/...``) and ``llm-gateway.assemblyai.com`` (``/v1/...``)
on one loopback port, and as ``streaming.assemblyai.com`` (the ``/v3/ws`` WebSocket and ``GET /v3/token``,
``streaming``) on a second one, from the timing files of the synthesised conversations (``data/scripts``).
Every request it accepts and every response it sends is checked against the official specs
(``tools/spec.py``); a response of its own that fails the check is answered as a 500 and kept in
``violations``, so tests see it. It refuses what the real API refuses: a bad key, a body the spec
rejects (an unknown field, a value of the wrong type), an unknown transcript id, audio under 160 ms, a
model the gateway does not offer (``data/gateway/models.yaml``). Chat completions are answered with
reference answers written for each notebook and listed in ``data/answers/<slug>/answers.yaml`` with
the transcripts their prompt must contain (``answers.py``), never by a model.

Time, not polling, moves transcripts (``processing_seconds``; finished ones call their loopback
``webhook_url``); a fault plan (``faults``) fails chosen requests on purpose; every error text comes
from ``errors`` with its documentation page. No lock is held around I/O, so one slow download or
webhook delays no other request.

One module per API area: ``uploads`` (audio and URLs), ``transcripts`` (REST v2 transcripts and
their life cycle), ``gateway`` (LLM Gateway models and chat), ``answers`` (reference answers),
``understanding`` (``/v1/understanding``), ``streaming`` (the WebSocket), with ``conversations``
(the scripts as API-shaped words), ``accounts`` (the free-credit account switch and its rate limits),
``state`` (state, clock, ids, region hosts), ``errors`` (the
error class and every error text), ``features`` (each parameter emulated or refused) and ``faults``
(failures on purpose) beneath them. Above them, ``routes`` (the one table of endpoints), ``http``
(strict HTTP and the spec check of each answer) and ``server`` (the ``Emulator`` and ``main()``).
"""

from tools.emulator.errors import EmulatorError
from tools.emulator.server import Emulator, main
from tools.emulator.state import State

__all__ = ["Emulator", "EmulatorError", "State", "main"]
