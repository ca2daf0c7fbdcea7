"""Every transcript request parameter has its documented effect in the emulator, or is refused by
name: checked through the SDK and through plain requests, against an emulator started here (every
response it sends is validated against the official spec; ``violations`` stays empty)."""

import json
import re
import shutil
from pathlib import Path

import assemblyai as aai
import pytest

from cookbook_utils import config
from cookbook_utils.yamlio import load_yaml
from tests.emulator.support import call
from tools import spec
from tools.emulator import features

pytestmark = pytest.mark.skipif(not spec.spec_available(), reason="../shared/reference/ (the official specs) is absent")

ROOT = Path(__file__).resolve().parents[2]
KEY = "emulator-features-key-0123456789"
MODELS = config.SPEECH_MODELS  # the cookbook's list, where the model does not matter
AUDIO = ROOT / "data" / "audio"
ENDPOINTS = ("sentences", "paragraphs", "srt", "vtt")


def _timing(name):
    return json.loads((ROOT / "data" / "scripts" / f"{name}.timing.json").read_text())


@pytest.fixture
def emulator(keyed_emulator):
    return keyed_emulator


def _submit(emulator, audio="support-call.mp3", **params):
    return call(emulator, "POST", "/v2/transcript", KEY, json={"audio_url": audio, "speech_models": MODELS, **params})


def _get(emulator, path):
    response = call(emulator, "GET", path, KEY)
    assert response.status_code == 200, response.text
    return response


def _transcribe(emulator, audio="support-call.mp3", **params):
    response = _submit(emulator, audio, **params)
    assert response.status_code == 200, response.text
    transcript_id = response.json()["id"]
    for _ in range(5):
        result = _get(emulator, f"/v2/transcript/{transcript_id}").json()
        if result["status"] in {"completed", "error"}:
            return result
    raise AssertionError("the transcript never finished")


def _sdk_transcribe(config, audio="support-call.mp3"):
    transcript = aai.Transcriber(config=config).transcribe(str(AUDIO / audio))
    assert transcript.status == aai.TranscriptStatus.completed, transcript.error
    return transcript


def _every_output(emulator, transcript_id):
    """The text of every endpoint that reads a transcript's words, as one string."""
    parts = [json.dumps(_get(emulator, f"/v2/transcript/{transcript_id}").json())]
    parts += [_get(emulator, f"/v2/transcript/{transcript_id}/{sub}").text for sub in ENDPOINTS]
    return "\n".join(parts)


# --- the audit: every spec property classified, refused ones refused by name --------------------


def test_every_spec_property_is_classified():
    """Every TranscriptParams property, nested ones too, is listed, or lies below a refused entry
    (which refuses what is below it); nothing listed is missing from the spec."""
    properties = spec.load("api")["components"]["schemas"]["TranscriptParams"]["properties"]
    top = {name for name in features.FEATURES if "." not in name and "[" not in name}
    assert top == set(properties), "classify each new TranscriptParams property in tools/emulator/features.py"
    paths = features.spec_paths()
    assert set(features.FEATURES) <= set(paths), "features.py lists a property the spec does not have"

    def covered(path: str) -> bool:
        if path in features.FEATURES:
            return True
        parents = [path[:i] for i in range(len(path)) if path[i] in ".["]
        return any(features.FEATURES.get(parent, ("", ""))[0] == features.REFUSED for parent in parents)

    unlisted = sorted(path for path in paths if not covered(path))
    assert unlisted == [], f"classify these nested properties in tools/emulator/features.py: {unlisted}"
    assert all(status in {features.EMULATED, features.REFUSED} for status, _ in features.FEATURES.values())
    assert all(len(why) > 10 for _, why in features.FEATURES.values())


def test_the_audit_sees_nested_properties(monkeypatch):
    """The audit fails on a nested property of an emulated parameter that is not listed."""
    trimmed = {k: v for k, v in features.FEATURES.items() if k != "speaker_options.max_speakers_expected"}
    monkeypatch.setattr(features, "FEATURES", trimmed)
    with pytest.raises(AssertionError, match="speaker_options.max_speakers_expected"):
        test_every_spec_property_is_classified()


#: A value other than the default for each refused parameter, valid under the spec.
NON_DEFAULT = {
    "speech_model": "universal-2",
    "language_codes": ["en", "es"],
    "language_detection_options": {"code_switching": True},
    "language_detection_options.localization": {"localization": ["en_uk"]},
    "auto_chapters": True,
    "summarization": True,
    "summary_model": "conversational",
    "summary_type": "paragraph",
    "iab_categories": True,
    "content_safety": True,
    "content_safety_confidence": 75,
    "speech_understanding": {"request": {"translation": {"target_languages": ["de"]}}},
    "custom_topics": True,
    "topics": ["bikes"],
    "temperature": 0.5,
    "speech_threshold": 0.5,
}


def test_every_refused_parameter_has_a_sample():
    refused = {
        name.split(".")[0].split("[")[0]
        for name, (status, _) in features.FEATURES.items()
        if status == features.REFUSED
    }
    assert refused == {name.split(".")[0] for name in NON_DEFAULT}


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
def test_refused_parameters_get_a_400_that_names_them(emulator, name):
    response = _submit(emulator, **{name.split(".")[0]: NON_DEFAULT[name]})
    assert response.status_code == 400
    error = response.json()["error"]
    if name == "speech_model":  # the API's own refusal, not the emulator's
        assert error.startswith("The speech_model parameter is deprecated.")
    else:
        assert "does not emulate" in error and f"`{name}" in error
    assert _get(emulator, "/v2/transcript").json()["transcripts"] == []  # nothing was created


@pytest.mark.parametrize(
    "params",
    [{"summarization": False}, {"auto_highlights": False}, {"content_safety_confidence": 50}, {"temperature": 0.0}],
)
def test_defaults_of_refused_parameters_are_accepted(emulator, params):
    assert _transcribe(emulator, **params)["status"] == "completed"


def test_the_sdk_sees_the_refusal(sdk):
    config = aai.TranscriptionConfig(speech_models=MODELS, iab_categories=True)
    with pytest.raises(aai.types.TranscriptError, match="does not emulate `iab_categories`"):
        aai.Transcriber(config=config).transcribe(str(AUDIO / "support-call.mp3"))


def test_echoed_parameters_are_transcript_properties():
    from tools.emulator import transcripts

    properties = spec.load("api")["components"]["schemas"]["Transcript"]["properties"]
    assert set(transcripts.ECHOED) <= set(properties)
    assert all(features.FEATURES[name][0] == features.EMULATED for name in transcripts.ECHOED)


# --- written forms, confidences, formatting and punctuation -------------------------------------


def test_words_use_the_scripts_written_forms_and_confidences(emulator):
    result = _transcribe(emulator)
    words = {w["text"]: w for w in result["words"]}
    assert "Larkspar" in words and words["Larkspar"]["confidence"] == 0.46  # a mishearing
    assert "$42.50." in words and words["$42.50."]["confidence"] == 0.93  # digits for spoken numbers
    assert "forty" not in result["text"] and "LK77193." in result["text"]
    # The merged word spans the spoken words it stands for.
    spoken = _timing("support-call")["words"]
    first = next(i for i, w in enumerate(spoken) if w["text"] == "forty")
    assert (words["$42.50."]["start"], words["$42.50."]["end"]) == (spoken[first]["start"], spoken[first + 5]["end"])


def test_format_text_false_writes_lower_case_and_spoken_numbers(emulator):
    result = _transcribe(emulator, format_text=False)
    assert result["text"] == result["text"].lower()
    assert "forty two dollars and fifty cents." in result["text"]
    assert "larkspar" in result["text"]  # a mishearing is not formatting: it stays


def test_punctuate_false_leaves_no_punctuation(sdk):
    transcript = _sdk_transcribe(aai.TranscriptionConfig(speech_models=MODELS, punctuate=False))
    assert not re.search(r"[.,?!;:](\s|$)", transcript.text)
    assert "$42.50 " in transcript.text  # a decimal point is not punctuation
    assert all(not w.text.endswith((".", ",", "?", "!")) for w in transcript.words)


def test_custom_spelling_and_keyterms(sdk):
    config = aai.TranscriptionConfig(speech_models=MODELS).set_custom_spelling({"Larkspur": "larkspar", "TB": "tom"})
    transcript = _sdk_transcribe(config)
    assert "Larkspur Books" in transcript.text and "Thanks, TB." in transcript.text
    config = aai.TranscriptionConfig(speech_models=MODELS, keyterms_prompt=["Larkspur"])
    assert "Larkspur Books" in _sdk_transcribe(config).text


# --- speakers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("expected", "count"), [(2, 2), (3, 3), (6, 4)])
def test_speakers_expected_merges_voices_but_never_splits_one(sdk, expected, count):
    config = aai.TranscriptionConfig(speech_models=MODELS, speaker_labels=True, speakers_expected=expected)
    transcript = _sdk_transcribe(config, "team-meeting.mp3")
    labels = list(dict.fromkeys(u.speaker for u in transcript.utterances))
    assert sorted(labels) == ["A", "B", "C", "D"][:count]
    assert labels[0] != "A"  # letters go by voice pitch, lowest first: the meeting opens with another


def test_speaker_options_max_merges_like_speakers_expected(emulator):
    limited = _transcribe(
        emulator, "team-meeting.mp3", speaker_labels=True, speaker_options={"max_speakers_expected": 2}
    )
    same = _transcribe(emulator, "team-meeting.mp3", speaker_labels=True, speakers_expected=2)
    assert [w["speaker"] for w in limited["words"]] == [w["speaker"] for w in same["words"]]
    assert {w["speaker"] for w in limited["words"]} == {"A", "B"}


def test_merged_speakers_follow_voice_pitch():
    from tools.emulator import conversations

    conversation = conversations.Conversation.load(ROOT / "data" / "scripts" / "team-meeting.timing.json")
    words = conversations.transcribe(conversation, {"speaker_labels": True}).words
    mapping = conversations.speaker_map(conversation, words, {"speakers_expected": 3})
    pitch = {label: s["pitch"] for label, s in conversation.speakers.items()}
    merged = [label for label in mapping if list(mapping.values()).count(mapping[label]) > 1]
    assert len(merged) == 2  # two voices share one label
    a, b = merged
    others = [label for label in pitch if label not in merged]
    assert all(abs(pitch[a] - pitch[b]) <= abs(pitch[a] - pitch[o]) for o in others) or all(
        abs(pitch[a] - pitch[b]) <= abs(pitch[b] - pitch[o]) for o in others
    )


def test_multichannel_on_the_two_channel_call(sdk):
    config = aai.TranscriptionConfig(speech_models=MODELS, multichannel=True)
    transcript = _sdk_transcribe(config, "support-call-stereo.mp3")
    assert transcript.json_response["audio_channels"] == 2
    script = load_yaml((ROOT / "data" / "scripts" / "support-call.yaml").read_text())
    channel = {"A": "1", "B": "2"}
    assert [u.channel for u in transcript.utterances] == [channel[t["speaker"]] for t in script["turns"]]
    assert [u.speaker for u in transcript.utterances] == [u.channel for u in transcript.utterances]
    assert all(w.channel in {"1", "2"} for w in transcript.words)
    for sub in ENDPOINTS:  # every endpoint that reads the words answers within the spec
        _get(sdk, f"/v2/transcript/{transcript.id}/{sub}")
    config = aai.TranscriptionConfig(speech_models=MODELS, multichannel=True, speaker_labels=True)
    both = _sdk_transcribe(config, "support-call-stereo.mp3")
    assert [u.speaker for u in both.utterances] == [f"{u.channel}A" for u in transcript.utterances]
    mono = _sdk_transcribe(config)  # the mono call is one channel, diarized within it
    letter = {"A": "B", "B": "A"}  # by voice pitch: the customer's (28) is lower than the agent's (68)
    assert [u.speaker for u in mono.utterances] == [f"1{letter[t['speaker']]}" for t in script["turns"]]
    assert mono.json_response["audio_channels"] == 1


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is needed to decode the stereo call")
def test_the_stereo_call_has_one_speaker_per_channel():
    import subprocess

    import numpy as np

    timing = _timing("support-call-stereo")
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(ROOT / timing["audio"]), "-f", "s16le", "-ac", "2", "-ar", "16000", "-"],
        check=True,
        capture_output=True,
    ).stdout
    samples = np.frombuffer(raw, dtype=np.int16).reshape(-1, 2).astype(float)
    for turn in timing["turns"]:
        piece = samples[turn["start"] * 16 : turn["end"] * 16]
        loud, quiet = (0, 1) if timing["channels"][turn["speaker"]] == 1 else (1, 0)
        assert np.abs(piece[:, loud]).mean() > 20 * max(np.abs(piece[:, quiet]).mean(), 1.0)


def test_a_true_two_channel_call_gives_each_channel_its_speaker(sdk):
    """broadband-call.mp3 is recorded on two channels (agent 1, customer 2) and the customer talks
    over the agent once: with multichannel each channel keeps its own speaker, and the two
    channels' utterances overlap in time; the words come in the order they are spoken."""
    config = aai.TranscriptionConfig(speech_models=MODELS, multichannel=True)
    transcript = _sdk_transcribe(config, "broadband-call.mp3")
    assert transcript.json_response["audio_channels"] == 2
    script = load_yaml((ROOT / "data" / "scripts" / "broadband-call.yaml").read_text())
    assert [u.channel for u in transcript.utterances] == [
        str(script["channels"][t["speaker"]]) for t in script["turns"]
    ]
    assert [u.start for u in transcript.utterances] == [t["start"] for t in _timing("broadband-call")["turns"]]
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    spans = [(u.start, u.end) for u in transcript.utterances]
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))  # both talk at once


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg makes the mono mixdown")
def test_a_mono_mixdown_loses_the_channels_and_the_overlap(sdk, tmp_path):
    """The same call mixed to one channel and re-encoded: recognised by its length, it is one
    channel, and the customer's words spoken while the agent is still talking go to the agent."""
    import subprocess

    mono = tmp_path / "mono.mp3"
    command = ["ffmpeg", "-v", "error", "-i", str(AUDIO / "broadband-call.mp3"), "-ac", "1", str(mono)]
    subprocess.run(command, check=True)
    config = aai.TranscriptionConfig(speech_models=MODELS, multichannel=True)
    assert _sdk_transcribe(config, str(mono)).json_response["audio_channels"] == 1
    config = aai.TranscriptionConfig(speech_models=MODELS, speaker_labels=True)
    transcript = _sdk_transcribe(config, str(mono))
    timing = _timing("broadband-call")
    turns = timing["turns"]
    interrupted, interrupter = next((a, b) for a, b in zip(turns, turns[1:], strict=False) if b["start"] < a["end"])
    over = [w for w in transcript.words if interrupter["start"] <= w.start < interrupted["end"]]
    labels = {u.speaker for u in transcript.utterances if u.text.startswith("Thank you, Mister")}
    assert over and {w.speaker for w in over} == labels  # all given to the agent, who was talking
    spans = [(u.start, u.end) for u in transcript.utterances]
    assert all(b[0] >= a[0] for a, b in zip(spans, spans[1:], strict=False))
    # Without overlap nothing changes: the mono support call's words keep the script's speakers.
    plain = _sdk_transcribe(config)
    assert len(plain.utterances) == len(_timing("support-call")["turns"])


# --- PII redaction and entity detection ---------------------------------------------------------


def _pii_texts(emulator, policies):
    found = _transcribe(emulator, entity_detection=True)["entities"]
    return {e["text"] for e in found if e["entity_type"] in policies}


def test_redaction_leaves_no_pii_in_any_output(sdk):
    policies = [aai.PIIRedactionPolicy.person_name, aai.PIIRedactionPolicy.number_sequence]
    secrets = _pii_texts(sdk, {p.value for p in policies})
    assert {"Tom Becker", "Maya", "LK77193"} <= secrets
    config = aai.TranscriptionConfig(speech_models=MODELS, speaker_labels=True).set_redact_pii(policies=policies)
    transcript = _sdk_transcribe(config)
    everything = _every_output(sdk, transcript.id)
    for secret in secrets:
        assert secret not in everything
        search = _get(sdk, f"/v2/transcript/{transcript.id}/word-search?words={secret.split()[0]}").json()
        assert search["total_count"] == 0
    assert "####" in transcript.text and "Larkspar Books" in transcript.text  # organisations were not asked for
    assert "### ######." in everything  # Tom Becker, hashed character by character


def test_entity_name_substitution(emulator):
    result = _transcribe(
        emulator,
        redact_pii=True,
        redact_pii_policies=["person_name", "money_amount"],
        redact_pii_sub="entity_name",
        speaker_labels=True,
    )
    assert "Both are for [MONEY_AMOUNT]." in result["text"]
    assert "[PERSON_NAME]. That's [PERSON_NAME]." in result["text"]
    assert all("Maya" not in u["text"] for u in result["utterances"])
    srt = _get(emulator, f"/v2/transcript/{result['id']}/srt").text
    assert "[PERSON_NAME]" in srt and "Becker" not in srt


def test_redact_pii_without_policies_is_refused(emulator):
    response = _submit(emulator, redact_pii=True)
    assert response.status_code == 400 and "redact_pii_policies" in response.json()["error"]


def test_entity_detection_from_the_annotations(sdk):
    transcript = _sdk_transcribe(aai.TranscriptionConfig(speech_models=MODELS, entity_detection=True))
    timing = _timing("support-call")
    assert len(transcript.entities) == len(timing["entities"])
    assert [e.entity_type.value for e in transcript.entities] == [e["type"] for e in timing["entities"]]
    for entity in transcript.entities:
        assert entity.text in transcript.text
        inside = [w for w in transcript.words if entity.start <= w.start and w.end <= entity.end]
        assert " ".join(w.text for w in inside).rstrip(".,?!") == entity.text
    money = next(e for e in transcript.entities if e.entity_type.value == "money_amount")
    assert money.text == "$42.50"


def test_entities_outside_the_slice_are_left_out(emulator):
    whole = _transcribe(emulator, entity_detection=True)
    part = _transcribe(emulator, entity_detection=True, audio_end_at=30_000)
    assert 0 < len(part["entities"]) < len(whole["entities"])
    assert all(e["end"] <= 30_000 for e in part["entities"])


# --- language detection options -----------------------------------------------------------------


def test_expected_languages_restrict_detection(sdk):
    options = aai.LanguageDetectionOptions(expected_languages=["en", "es"])
    config = aai.TranscriptionConfig(speech_models=MODELS, language_detection=True, language_detection_options=options)
    transcript = aai.Transcriber(config=config).transcribe(str(AUDIO / "clip-es.mp3"))
    assert transcript.status == aai.TranscriptStatus.completed and transcript.json_response["language_code"] == "es"
    transcript = aai.Transcriber(config=config).transcribe(str(AUDIO / "clip-fr.mp3"))
    assert transcript.status == aai.TranscriptStatus.error
    assert "expected_languages" in transcript.error and "'fr'" in transcript.error


def test_code_switching_is_refused_by_its_nested_name(emulator):
    response = _submit(emulator, language_detection=True, language_detection_options={"code_switching": True})
    assert response.status_code == 400 and "language_detection_options.code_switching" in response.json()["error"]


# --- the no-op features are honest only while the scripts stay as they are ------------------------


def _script_words():
    for path in sorted((ROOT / "data" / "scripts").glob("*.yaml")):
        for turn in load_yaml(path.read_text())["turns"]:
            yield from (w.strip(".,?!").lower() for w in turn["text"].split())


def test_no_script_holds_filler_words_or_profanity():
    """``disfluencies`` and ``filter_profanity`` are emulated as having nothing to act on."""
    words = set(_script_words())
    assert not words & {"um", "uh", "er", "erm", "hmm", "mm", "uhm"}
    assert not words & {"damn", "shit", "fuck", "bloody", "hell", "crap", "bastard"}
    assert all(features.FEATURES[name][0] == features.EMULATED for name in ("disfluencies", "filter_profanity"))


def test_the_features_page_is_current():
    page = (ROOT / "docs" / "emulator-features.md").read_text()
    assert page == features.table(), "re-run: python -m tools.emulator.features"


# --- analysis from reference data -----------------------------------------------------------------


def test_sentiment_analysis_from_the_reference_labels(sdk):
    config = aai.TranscriptionConfig(speech_models=MODELS, sentiment_analysis=True, speaker_labels=True)
    transcript = _sdk_transcribe(config)
    results = transcript.sentiment_analysis
    script = load_yaml((ROOT / "data" / "scripts" / "support-call.yaml").read_text())
    labels = [label for turn in script["turns"] for label in turn["sentiment"]]
    assert [r.sentiment.value for r in results] == labels
    assert " ".join(r.text for r in results) == transcript.text  # every sentence, as written
    assert results[1].text == "How can I help you today?" and results[1].speaker == "B"  # the agent
    assert all(0 < r.confidence <= 1 for r in results)


def test_key_phrases_are_counted_and_timed_in_the_words(sdk):
    config = aai.TranscriptionConfig(speech_models=MODELS, auto_highlights=True)
    transcript = _sdk_transcribe(config)
    results = {r.text: r for r in transcript.auto_highlights.results}
    assert results["refund reference"].count == 2 and len(results["refund reference"].timestamps) == 2
    assert "$5 credit" in results  # written as the transcript writes it
    assert results["refund reference"].rank > results["working days"].rank
    for result in results.values():
        for stamp in result.timestamps:
            said = " ".join(w.text for w in transcript.words if stamp.start <= w.start and w.end <= stamp.end)
            assert said.lower().rstrip(".,?!") == result.text
    starts = [r.timestamps[0].start for r in transcript.auto_highlights.results]
    assert starts == sorted(starts)


@pytest.mark.parametrize("name", ["sentiment_analysis", "auto_highlights"])
def test_analysis_of_audio_without_reference_data_is_an_error_naming_it(emulator, name):
    result = _transcribe(emulator, "team-meeting.mp3", **{name: True})
    assert result["status"] == "error" and f"does not emulate `{name}` for this audio" in result["error"]


def test_key_phrases_cut_by_redaction_are_dropped(emulator):
    result = _transcribe(
        emulator, auto_highlights=True, redact_pii=True, redact_pii_policies=["money_amount", "number_sequence"]
    )
    texts = [r["text"] for r in result["auto_highlights_result"]["results"]]
    assert "refund reference" in texts and not any("#" in t or "$5" in t for t in texts)
