"""Spoken prompts for people who cannot read the screen well (many pensioners).

The flows name a prompt (``Speak("look_at_camera")``) and the face job names the current
challenge; this module says it in the session's language with espeak-ng (Debian's
``espeak-ng``; its ``cmn`` voice reads Mandarin). QtTextToSpeech is not part of
PySide6-Essentials, so a subprocess it is: it never blocks the Qt thread, and a new prompt
cuts the one still speaking, so the voice never lags behind the screen.

The words come from the reason-code registry (kiosk/reasons): the prompts, and each code's
spoken line, which says what to do in fewer words than the screen does. A missing
espeak-ng is logged once (``UI_VOICE_UNAVAILABLE``) and the kiosk runs silent.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections import deque
from pathlib import Path

from kiosk.reasons import PROMPTS, REASONS

log = logging.getLogger(__name__)

VOICES = {"zh_CN": "cmn", "en": "en"}


def spell(reference: str) -> str:
    """A reference code letter by letter ("AB12-CD34" as "A B 1 2, C D 3 4"): read as a
    word, espeak would pronounce it, and nobody could write it down."""
    return ", ".join(" ".join(group) for group in reference.split("-"))


def words(prompt: str, language: str, reason: str | None = None,
          reference: str | None = None) -> str | None:  # fmt: skip
    """What to say for a prompt id or a reason code, in ``language``; ``None`` when the
    registry has no words for it (a fault: tests/unit/test_reason_registry.py)."""
    if prompt in PROMPTS:
        template = PROMPTS[prompt].in_language(language)
    elif prompt in REASONS:
        template = REASONS[prompt].spoken.in_language(language)
    else:
        return None
    said = REASONS[reason].spoken.in_language(language) if reason in REASONS else ""
    if reason and not said:
        log.error("no spoken words", extra={"reason": "UI_VOICE_UNAVAILABLE", "prompt": reason})
    text = template.replace("{reason}", said).replace("{reference}", spell(reference or ""))
    return text.strip() or None


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

    def text(self, prompt: str, language: str, reason: str | None = None,
             reference: str | None = None) -> str | None:  # fmt: skip
        return words(prompt, language, reason, reference)

    def _command(self, text: str, language: str) -> list[str]:
        assert self.executable is not None
        # -s 140: slower than espeak's 175 words a minute, for older listeners.
        amplitude = str(self.volume * 2)  # espeak-ng's -a runs 0..200
        return [self.executable, "-v", VOICES.get(language, "en"), "-s", "140", "-a", amplitude,
                text]  # fmt: skip

    def say(self, prompt: str, language: str, reason: str | None = None,
            reference: str | None = None) -> None:  # fmt: skip
        text = self.text(prompt, language, reason, reference)
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

    def render(self, prompt: str, language: str, wav: Path, reason: str | None = None,
               reference: str | None = None) -> None:  # fmt: skip
        """Write the prompt to a WAV file instead of the speaker (tests, a site checking the
        Mandarin voice on a machine without speakers)."""
        text = self.text(prompt, language, reason, reference)
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
