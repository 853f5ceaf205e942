"""The reason-code registry (kiosk/reasons) as QML sees it: ``reasonTexts.text(code,
language)`` and its siblings, read by Texts.qml. Passing the language in makes every binding
that words a code depend on it, so a language change re-words the screen at once."""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.reasons import NO_HINT, REASONS, UNKNOWN


class ReasonTexts(QObject):
    languageChanged = Signal()

    def __init__(self, parent: QObject | None = None, language: str = "zh_CN") -> None:
        super().__init__(parent)
        self._language = language

    @Property(str, notify=languageChanged)
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> None:
        if language != self._language:
            self._language = language
            self.languageChanged.emit()

    @Slot(str, str, result=str)
    def text(self, code: str, language: str) -> str:
        if not code:
            return ""
        entry = REASONS.get(code)
        return (entry.text if entry else UNKNOWN).in_language(language)

    @Slot(str, str, result=str)
    def hint(self, code: str, language: str) -> str:
        if not code:
            return ""
        entry = REASONS.get(code)
        return (entry.text if entry else NO_HINT).in_language(language)

    @Slot(str, str, result=str)
    def nextStep(self, code: str, language: str) -> str:
        entry = REASONS.get(code)
        return entry.next_step.in_language(language) if entry else ""

    @Slot(str, result=bool)
    def retryable(self, code: str) -> bool:
        entry = REASONS.get(code)
        return bool(entry and entry.retryable)
