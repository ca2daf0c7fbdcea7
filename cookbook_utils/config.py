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
