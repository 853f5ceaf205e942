"""The one object QML talks to.

QML reads ``screen`` and ``language`` and calls slots when a person taps; the controller
turns taps into state changes. The flows (``kiosk.flows``) will own that state; until they
land, the controller holds the two screens the skeleton has, so the QML contract
(``screen`` names, slot names) is the one the flows will drive.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Property, QCoreApplication, QObject, QTranslator, Signal, Slot
from PySide6.QtQml import QQmlApplicationEngine

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).parent / "i18n"
LANGUAGES = ("zh_CN", "en")  # English is the source language of every qsTr() string
SCREENS = ("welcome", "present_document")


class KioskController(QObject):
    screenChanged = Signal()
    languageChanged = Signal()

    def __init__(self, engine: QQmlApplicationEngine, language: str) -> None:
        # Owned by the engine, so it outlives every QML binding that reads it.
        super().__init__(engine)
        self._engine = engine
        self._translator = QTranslator(self)
        self._screen = "welcome"
        self._language = "en"
        self.setLanguage(language)

    @Property(str, notify=screenChanged)
    def screen(self) -> str:
        return self._screen

    @Property(str, notify=languageChanged)
    def language(self) -> str:
        return self._language

    @Slot(str)
    def setLanguage(self, language: str) -> None:
        if language not in LANGUAGES or language == self._language:
            return
        app = QCoreApplication.instance()
        app.removeTranslator(self._translator)
        if language != "en":
            qm = I18N_DIR / f"bdmi_{language}.qm"
            if not self._translator.load(str(qm)):
                # A missing .qm is a build fault (bootstrap compiles them), not a user
                # error: keep running in English and tell the technician.
                log.error(
                    "translation missing", extra={"reason": "UI_I18N_MISSING", "file": str(qm)}
                )
                return
            app.installTranslator(self._translator)
        self._language = language
        self._engine.retranslate()
        self.languageChanged.emit()
        log.info("language set", extra={"language": language})

    def release(self) -> None:
        """Uninstall the translator now: another UI built in the same process (a test, a
        restart after a crash screen) must not inherit this one's language."""
        QCoreApplication.instance().removeTranslator(self._translator)

    @Slot()
    def start(self) -> None:
        self._go("present_document")

    @Slot()
    def back(self) -> None:
        self._go("welcome")

    def _go(self, screen: str) -> None:
        if screen == self._screen:
            return
        log.info("screen", extra={"from": self._screen, "to": screen})
        self._screen = screen
        self.screenChanged.emit()
