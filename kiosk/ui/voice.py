"""Spoken prompts for people who cannot read the screen well (many pensioners).

The flows name a prompt (``Speak("look_at_camera")``) and the face job names the current
challenge; this module says it in the session's language with espeak-ng (Debian's
``espeak-ng``; its ``cmn`` voice reads Mandarin). QtTextToSpeech is not part of
PySide6-Essentials, so a subprocess it is: it never blocks the Qt thread, and a new prompt
cuts the one still speaking, so the voice never lags behind the screen.

The texts are here, not in the .ts file, because they are spoken, not shown: they say what
to do in fewer words than the screen does. A missing espeak-ng is logged once
(``UI_VOICE_UNAVAILABLE``) and the kiosk runs silent.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections import deque
from pathlib import Path

log = logging.getLogger(__name__)

VOICES = {"zh_CN": "cmn", "en": "en"}
PROMPTS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "present_document": "请出示您的身份证件",
        "document_failed": "证件未能读取，请重新放置",
        "document_not_accepted": "此证件不能在这里使用，请换一个证件",
        "look_at_camera": "请看摄像头",
        "call_staff": "请联系工作人员",
        "consent_terms": "请阅读授权内容，然后选择同意或不同意",
        "consent_accepted": "您的授权已记录",
        "enter_mrz": "请输入护照照片页上的证件号码、出生日期和有效期",
        "check_mrz": "这些信息无法打开芯片，请核对后重新输入",
        "consent_declined": "您的拒绝已记录",
        "blink": "请眨眼",
        "turn_left": "请向左转头",
        "turn_right": "请向右转头",
        "nod": "请点头",
        "open_mouth": "请张嘴",
    },
    "en": {
        "present_document": "Please present your document",
        "document_failed": "The document could not be read. Please place it again",
        "document_not_accepted": "This document cannot be used here. Please use another one",
        "look_at_camera": "Please look at the camera",
        "call_staff": "Please see a member of staff",
        "consent_terms": "Please read the terms, then accept or decline",
        "consent_accepted": "Your consent is recorded",
        "enter_mrz": "Please type the document number and the two dates from the photo page",
        "check_mrz": "These details do not open the chip. Please check them and try again",
        "consent_declined": "Your refusal is recorded",
        "blink": "Blink your eyes",
        "turn_left": "Turn your head to your left",
        "turn_right": "Turn your head to your right",
        "nod": "Nod your head",
        "open_mouth": "Open your mouth",
    },
}


class Voice:
    """Says prompts; ``history`` keeps the last ones said (prompt ids, never personal)."""

    def __init__(self, enabled: bool = True, executable: str = "espeak-ng") -> None:
        self.executable = shutil.which(executable) if enabled else None
        if enabled and self.executable is None:
            log.warning("voice prompts off: espeak-ng not found",
                        extra={"reason": "UI_VOICE_UNAVAILABLE"})  # fmt: skip
        self.history: deque[tuple[str, str]] = deque(maxlen=50)
        self._speaking: subprocess.Popen[bytes] | None = None
        self.volume = 50
        """Percent; 50 is espeak-ng's own loudness (amplitude 100 of 200)."""

    def set_volume(self, percent: int) -> None:
        self.volume = max(0, min(100, percent))

    def text(self, prompt: str, language: str) -> str | None:
        return PROMPTS.get(language, PROMPTS["en"]).get(prompt)

    def _command(self, text: str, language: str) -> list[str]:
        assert self.executable is not None
        # -s 140: slower than espeak's 175 words a minute, for older listeners.
        amplitude = str(self.volume * 2)  # espeak-ng's -a runs 0..200
        return [self.executable, "-v", VOICES.get(language, "en"), "-s", "140", "-a", amplitude,
                text]  # fmt: skip

    def say(self, prompt: str, language: str) -> None:
        text = self.text(prompt, language)
        if text is None:
            log.error("no voice text", extra={"reason": "UI_VOICE_UNAVAILABLE", "prompt": prompt})
            return
        self.history.append((prompt, language))
        if self.executable is None:
            return
        self.stop()
        try:
            self._speaking = subprocess.Popen(
                self._command(text, language),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        except OSError as exc:
            reason = {"reason": "UI_VOICE_UNAVAILABLE", "error": exc.strerror}
            log.warning("voice prompt failed", extra=reason)

    def render(self, prompt: str, language: str, wav: Path) -> None:
        """Write the prompt to a WAV file instead of the speaker (tests, a site checking the
        Mandarin voice on a machine without speakers)."""
        text = self.text(prompt, language)
        if text is None or self.executable is None:
            raise LookupError(f"cannot render {prompt!r} in {language!r}")
        subprocess.run([*self._command(text, language), "-w", str(wav)], check=True,
                       capture_output=True, timeout=30)  # fmt: skip

    def stop(self) -> None:
        speaking, self._speaking = self._speaking, None
        if speaking is not None and speaking.poll() is None:
            speaking.terminate()
            try:
                speaking.wait(timeout=1)
            except subprocess.TimeoutExpired:
                speaking.kill()
