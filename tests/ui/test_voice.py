"""Spoken prompts: every prompt the flows can ask for, and every challenge, is said in both
languages by the real espeak-ng (rendered to WAV files here, as the machine has no speaker)."""

from __future__ import annotations

import ast
import wave
from pathlib import Path

import pytest

from kiosk.idv.gestures import Gesture
from kiosk.reasons import PROMPTS
from kiosk.ui.voice import Voice, spell, words

REPO = Path(__file__).resolve().parents[2]


def prompts_the_flows_emit() -> set[str]:
    found = set()
    for path in (REPO / "kiosk" / "flows").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Speak"
                    and node.args and isinstance(node.args[0], ast.Constant)):  # fmt: skip
                found.add(node.args[0].value)
    return found


def test_every_prompt_and_challenge_has_words_in_both_languages():
    wanted = prompts_the_flows_emit() | {g.value for g in Gesture}
    assert {"result_pass", "result_fail", "result_retry", "staff_called"} <= wanted
    assert len(wanted) > 8  # the scan itself works
    for language in ("zh_CN", "en"):
        silent = {p for p in wanted if not words(p, language, "IDV_LIVENESS_TIMEOUT", "AB12-CD34")}
        assert not silent, language


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_prompts_are_spoken_as_audio(tmp_path, language):
    voice = Voice()
    seconds = {}
    for prompt in ("look_at_camera", "turn_left", "staff_called"):
        wav = tmp_path / f"{prompt}.wav"
        voice.render(prompt, language, wav)
        with wave.open(str(wav)) as audio:
            seconds[prompt] = audio.getnframes() / audio.getframerate()
    assert all(s > 0.4 for s in seconds.values()), seconds


def test_a_mandarin_prompt_is_not_read_as_english(tmp_path):
    voice = Voice()
    voice.render("look_at_camera", "zh_CN", tmp_path / "zh.wav")
    voice.render("look_at_camera", "en", tmp_path / "en.wav")
    assert (tmp_path / "zh.wav").read_bytes() != (tmp_path / "en.wav").read_bytes()
    assert voice._command("x", "zh_CN")[1:3] == ["-v", "cmn"]


def test_a_missing_engine_leaves_the_kiosk_silent_not_broken(caplog):
    voice = Voice(executable="no-such-espeak")
    voice.say("look_at_camera", "en")
    assert list(voice.history) == [("look_at_camera", "en")]
    assert any(getattr(r, "reason", "") == "UI_VOICE_UNAVAILABLE" for r in caplog.records)
    voice.say("no_such_prompt", "en")
    assert len(voice.history) == 1


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_failed_result_is_said_with_its_reason_and_reference(tmp_path, language):
    said = words("result_fail", language, "IDV_MATCH_REJECTED", "AB12-CD34")
    assert said is not None and spell("AB12-CD34") in said
    assert PROMPTS["result_fail"].in_language(language).split("{reason}")[0] == ""
    voice = Voice()
    wav = tmp_path / "fail.wav"
    voice.render("result_fail", language, wav, "IDV_MATCH_REJECTED", "AB12-CD34")
    short = tmp_path / "short.wav"
    voice.render("look_at_camera", language, short)
    with wave.open(str(wav)) as long_audio, wave.open(str(short)) as short_audio:
        assert long_audio.getnframes() > 3 * short_audio.getnframes()  # reason and code said


def test_the_volume_reaches_espeak():
    voice = Voice()
    voice.set_volume(90)
    command = voice._command("x", "en")
    assert command[command.index("-a") + 1] == "180"
    voice.set_volume(150)
    assert voice.volume == 100
