"""The demo control panel: a small window beside the kiosk that plays the parts a newcomer
has no hardware for.

A demo on simulated devices can otherwise only ever go one way (the sample ID card lies on
the reader, the simulated person follows every prompt). From the panel a newcomer puts the
ID card on the reader or takes it away, lays down the specimen passport (with its MRZ known,
as if swiped, or not, so the kiosk asks for the photo page's details), presents a card that
is not an ID card, and chooses how the person in front of the camera behaves: follows the
prompts, stays silent, or is someone else. Every path of docs/screens.md is then reachable
from the windows themselves.

It only drives the simulators the runner opened (``FlowRunner.simulators``); a kiosk on real
devices has none, and then the panel is not shown (``bdmi-kiosk --demo-panel``).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.shell.jobs import SubjectScript

log = logging.getLogger(__name__)

QML = Path(__file__).parent / "qml" / "DemoPanel.qml"
PERSONS = ("follows", "silent", "someone_else")


class IdCardSimulator(Protocol):
    def insert_card(self) -> None: ...
    def remove_card(self) -> None: ...
    def insert_foreign_card(self) -> None: ...


class PassportSimulator(Protocol):
    @property
    def inserted(self) -> bool: ...
    def insert(self, timeout: float = 10.0) -> None: ...
    def remove(self, timeout: float = 5.0) -> None: ...


class SubjectCamera(Protocol):
    def set_portrait(self, rgb: np.ndarray) -> None: ...


class DemoRunner(Protocol):
    """What the panel uses of ``kiosk.shell.runner.FlowRunner``."""

    simulators: dict[str, object]
    subject: SubjectScript | None

    @property
    def passport_key_known(self) -> bool: ...
    def set_passport_key_known(self, known: bool) -> None: ...


@functools.cache
def stranger_portrait() -> np.ndarray:
    """Another person than the demo's: a face from the LFW sample shipped in scikit-image,
    enlarged to a portrait. Compared with the specimen passport's chip photo, it does not
    match."""
    import cv2
    import skimage.data

    face = skimage.data.lfw_subset()[0]  # 25 x 25 grey, 0..1
    big = cv2.resize(face, (360, 360), interpolation=cv2.INTER_CUBIC)
    grey = np.clip(big * 255, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))


@functools.cache
def demo_portrait() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.astronaut())


class DemoPanel(QObject):
    changed = Signal()

    def __init__(
        self, runner: Callable[[], DemoRunner | None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._person = "follows"

    def _simulator(self, kind: str) -> object | None:
        runner = self._runner()
        return runner.simulators.get(kind) if runner is not None else None

    @Slot()
    def refresh(self) -> None:
        """Re-read what the simulators can do (once the devices are open)."""
        self.changed.emit()

    @Property(bool, notify=changed)
    def ready(self) -> bool:
        return self._runner() is not None

    @Property(bool, notify=changed)
    def hasIdCard(self) -> bool:
        return self._simulator("sam") is not None

    @Property(bool, notify=changed)
    def hasPassport(self) -> bool:
        return self._simulator("pcsc") is not None

    @Property(bool, notify=changed)
    def passportDown(self) -> bool:
        passport = self._simulator("pcsc")
        return bool(passport is not None and passport.inserted)  # type: ignore[attr-defined]

    @Property(str, notify=changed)
    def person(self) -> str:
        return self._person

    # -- the ID card reader ----------------------------------------------------------------
    @Slot()
    def insertIdCard(self) -> None:
        self._card("insert_card")

    @Slot()
    def removeIdCard(self) -> None:
        self._card("remove_card")

    @Slot()
    def insertWrongCard(self) -> None:
        self._card("insert_foreign_card")

    def _card(self, action: str) -> None:
        sam = self._simulator("sam")
        if sam is not None:
            getattr(sam, action)()
            log.info("demo panel", extra={"action": action})

    # -- the passport reader -----------------------------------------------------------------
    @Slot()
    def layPassport(self) -> None:
        self._passport(down=True)

    @Slot()
    def liftPassport(self) -> None:
        self._passport(down=False)

    def _passport(self, *, down: bool) -> None:
        passport = self._simulator("pcsc")
        if passport is None:
            return

        # vpcd's connect and tear-down take a moment: off the Qt thread.
        def move() -> None:
            try:
                passport.insert() if down else passport.remove()  # type: ignore[attr-defined]
            except OSError as exc:
                log.warning(
                    "demo passport", extra={"reason": "SIM_VPCD_UNREACHABLE", "error": str(exc)}
                )
            self.changed.emit()

        threading.Thread(target=move, name="demo-passport", daemon=True).start()
        log.info("demo panel", extra={"action": "lay_passport" if down else "lift_passport"})

    @Property(bool, notify=changed)
    def passportKeyKnown(self) -> bool:
        """The specimen's MRZ as if swiped; off, the kiosk asks for the photo page's details
        as for a real passport on a kiosk without an MRZ reader (the MRZ entry screens)."""
        runner = self._runner()
        return runner is not None and runner.passport_key_known

    @Slot()
    def passportKeySwiped(self) -> None:
        self._passport_key(known=True)

    @Slot()
    def passportKeyTyped(self) -> None:
        self._passport_key(known=False)

    def _passport_key(self, *, known: bool) -> None:
        runner = self._runner()
        if runner is None or self._simulator("pcsc") is None:
            return
        runner.set_passport_key_known(known)
        log.info("demo panel", extra={"action": "passport_key", "known": known})
        self.changed.emit()

    # -- the person in front of the camera -----------------------------------------------------
    @Slot(str)
    def setPerson(self, person: str) -> None:
        """How the simulated person behaves from the next face check on."""
        runner = self._runner()
        if person not in PERSONS or runner is None:
            return
        camera = runner.simulators.get("camera")
        if person == "silent":
            runner.subject = SubjectScript(respond=lambda gesture: None)
        else:
            runner.subject = SubjectScript()
        if camera is not None:
            portrait = stranger_portrait() if person == "someone_else" else demo_portrait()
            camera.set_portrait(portrait)  # type: ignore[attr-defined]
        self._person = person
        log.info("demo panel", extra={"action": "person", "person": person})
        self.changed.emit()
