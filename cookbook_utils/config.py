"""Settings that every recipe shares, kept in one place so they change in one line."""

from __future__ import annotations

#: Speech models in priority order, as AssemblyAI's migration guide advises for audio in any language:
#: ``assemblyai-stt-3-7`` (the flagship since November 2026) for its languages, Universal-2 (99) for the
#: rest. Sending the list keeps a recipe on these models whatever the account's default becomes.
#: The registry writes it into every notebook (``make registry``); change it here, in one line.
SPEECH_MODELS: list[str] = ["assemblyai-stt-3-7", "universal-2"]
#: The LLM Gateway model the recipes ask (``GET /v1/models`` lists the current ones). The registry
#: writes it into the setup cell of every recipe that reads ``LLM_MODEL``, as it writes ``SPEECH_MODELS``.
LLM_MODEL = "claude-sonnet-4-6"

#: The real hosts. Recordings always name these, whatever server answered while recording.
API_HOST = "api.assemblyai.com"
LLM_GATEWAY_HOST = "llm-gateway.assemblyai.com"
API_BASE_URL = f"https://{API_HOST}"
LLM_GATEWAY_BASE_URL = f"https://{LLM_GATEWAY_HOST}"
# The EU deployment (data residency): its own hosts for the API and the LLM Gateway.
EU_API_HOST = "api.eu.assemblyai.com"
EU_LLM_GATEWAY_HOST = "llm-gateway.eu.assemblyai.com"
# Sync transcription, dictation and text-to-speech (SDK 1.8.2's ``sync_base_url``, ``dictation_base_url``
# and ``tts_base_url``): a host each, and the same paths on two of them (``/v1/transcribe/live``), so a
# stand-in answers for one host only (named in ``COOKBOOK_STAND_INS``).
SYNC_HOST = "sync.assemblyai.com"
EU_SYNC_HOST = "sync.eu.assemblyai.com"
DICTATION_HOST = "dictation.assemblyai.com"
TTS_HOST = "tts.us.assemblyai.com"
EU_TTS_HOST = "tts.eu.assemblyai.com"
# The Voice Agent API (``wss://agents.assemblyai.com/v1/ws`` and ``GET /v1/token``) and its EU host.
AGENTS_HOST = "agents.assemblyai.com"
EU_AGENTS_HOST = "agents.eu.assemblyai.com"
#: Which real host a path of the emulator's main port answers for, by region: the first entry that
#: matches (one ending in ``/`` is a prefix, any other the whole path). The emulator answers the API and
#: the LLM Gateway of a region on one port, so a recording names the real host by this table.
HOSTS_BY_PATH: dict[str, tuple[tuple[str, str], ...]] = {
    "us": (("/v1/", LLM_GATEWAY_HOST), ("/", API_HOST)),
    "eu": (("/v1/", EU_LLM_GATEWAY_HOST), ("/", EU_API_HOST)),
}


def host_for_path(path: str, region: str = "us") -> str:
    """The real host that answers ``path`` in ``region`` (:data:`HOSTS_BY_PATH`)."""
    for pattern, host in HOSTS_BY_PATH[region]:
        if path == pattern or (pattern.endswith("/") and path.startswith(pattern)):
            return host
    raise ValueError(f"no {region} host answers {path!r}")


#: Where the cookbook is published, as ``https://github.com/<owner>/<name>``: its one home. Colab installs
#: the helpers and fetches the data from there, and every "Open in Colab" link points there. ``None`` (the
#: default): the address is taken from the clone's ``origin`` when that is a GitHub repository, and when it
#: is not (this clone has no GitHub remote) the cookbook is *unpublished*: no "Open in Colab" link anywhere,
#: and the Colab cell says to clone the repository instead. One function decides from this line and the
#: origin, ``cookbook_utils.colab.published_repo()``; after changing either, run `make registry`, which
#: rewrites the notebooks' Colab cells and the README's links.
REPO_URL: str | None = None
REPO_BRANCH = "main"
#: The helper package's name on pip (pyproject.toml's [project] name).
PACKAGE_NAME = "cookbook-utils"

#: Environment variables the cookbook reads.
ENV_API_KEY = "ASSEMBLYAI_API_KEY"
ENV_MODE = "COOKBOOK_MODE"  # "replay" forces replay; "live" refuses to replay
ENV_RECORD = "COOKBOOK_RECORD"  # "1" rewrites the notebook's recording from real responses
ENV_API_BASE_URL = "COOKBOOK_API_BASE_URL"  # point the SDK at another server (the emulator)
ENV_EU_API_BASE_URL = "COOKBOOK_EU_API_BASE_URL"  # where that server answers as the EU hosts
ENV_STAND_INS = "COOKBOOK_STAND_INS"  # JSON: real host -> a server answering for that host only (sync, TTS...)
ENV_ROOT = "COOKBOOK_ROOT"  # the project folder, when it cannot be found from the package
ENV_S3_BUCKET = "COOKBOOK_S3_BUCKET"  # the reader's bucket for the S3 recipe in live mode
ENV_VIDEO_URL = "COOKBOOK_VIDEO_URL"  # a video for the yt-dlp recipe in live mode
ENV_DRIVE_LINK = "COOKBOOK_DRIVE_LINK"  # a Drive share link for the Drive recipe in live mode
ENV_GITHUB_LINK = "COOKBOOK_GITHUB_LINK"  # a GitHub file link for the GitHub recipe in live mode
ENV_WEBHOOK_URL = "COOKBOOK_WEBHOOK_URL"  # the reader's public webhook receiver, for the batch recipe live

#: The bucket of the local S3 server that stands in for the reader's in replay.
LOCAL_S3_BUCKET = "cookbook-audio"

#: The command that re-records one notebook; error messages quote it.
RECORD_COMMAND = "make record NOTEBOOK={slug}"
RECORD_EMULATOR_COMMAND = "make record-emulator NOTEBOOK={slug}"
