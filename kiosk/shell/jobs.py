"""The long jobs a flow asks for, each on its own thread, each cancellable.

A job reports only through ``post(event)``: it never touches the flow, so the flow's state
changes on one thread (the UI's) however many jobs run. A job that is cancelled stops at
its next check and posts nothing more that matters (the flow ignores late news anyway).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from drivers.document import DocumentReader, IdentityDocument
from drivers.errors import DriverError
from kiosk.flows.messages import (
    DocumentFailed,
    DocumentRead,
    Event,
    FaceFinished,
    FaceUpdate,
    ReadProgress,
)
from kiosk.idv.decision import DocumentEvidence
from kiosk.idv.embedding import FaceEmbedder, embed_photo
from kiosk.idv.errors import IdvError
from kiosk.idv.face_session import FaceVerificationSession
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessPolicy

log = logging.getLogger(__name__)

Post = Callable[[Event], None]


class Job:
    """A thread with a stop flag; ``cancel`` asks it to stop, ``join`` waits."""

    name = "job"

    def __init__(self, post: Post) -> None:
        self.post = post
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._guarded, name=self.name, daemon=True)

    def start(self) -> Job:
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.stop.set()

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _guarded(self) -> None:
        try:
            self.run()
        except Exception:  # a job must never take the kiosk down with it
            log.exception("job failed", extra={"job": self.name})
            self.failed()

    def run(self) -> None:
        raise NotImplementedError

    def failed(self) -> None:
        """Tell the flow something, so it is not left waiting."""


def evidence_of(document: IdentityDocument, *, sam: bool) -> DocumentEvidence:
    today = time.strftime("%Y-%m-%d")
    expired = document.valid_until is not None and document.valid_until.isoformat() < today
    return DocumentEvidence(
        document.doc_type, document.chip_authentication, sam_authenticated=sam, expired=expired
    )


def portrait_descriptor(embedder: FaceEmbedder, document: IdentityDocument) -> np.ndarray | None:
    """The portrait's descriptor, or ``None`` when the card carries no decodable face (a WLT
    portrait with no decoder installed, a chip without DG2): the decision then has no
    reference face (``IDV_NO_REFERENCE_FACE``), which only an EA5- flow accepts."""
    if document.portrait_format not in ("jpeg", "jp2") or not document.portrait:
        return None
    image = cv2.imdecode(np.frombuffer(document.portrait, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    try:
        return embed_photo(embedder, cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).embedding
    except IdvError:
        return None


@dataclass
class ReaderSlot:
    reader: DocumentReader
    sam: bool
    """A resident-ID reader with its SAM: its cards are authenticated by the SAM."""


class DocumentJob(Job):
    """Wait for a document on any of the open readers, read it, describe its portrait."""

    name = "document"

    def __init__(self, post: Post, readers: list[ReaderSlot], embedder: FaceEmbedder,
                 poll_s: float = 0.2, *, after_removal: bool = False) -> None:  # fmt: skip
        super().__init__(post)
        self.readers = readers
        self.embedder = embedder
        self.poll_s = poll_s
        self.after_removal = after_removal

    def run(self) -> None:
        self.post(ReadProgress("waiting", 0.0))
        if self.after_removal:
            self._wait_until_removed()
        while not self.stop.is_set():
            for slot in self.readers:
                try:
                    present = slot.reader.card_present()
                except DriverError as exc:
                    self.post(DocumentFailed(exc.reason))
                    return
                if present:
                    self._read(slot)
                    return
            self.stop.wait(self.poll_s)

    def _wait_until_removed(self) -> None:
        """The card that failed stays on the reader until the person takes it away; the
        error stays on screen meanwhile. A reader that fails to answer ends the wait (the
        polling below reports it)."""
        while not self.stop.is_set():
            try:
                if not any(slot.reader.card_present() for slot in self.readers):
                    return
            except DriverError:
                return
            self.stop.wait(self.poll_s)

    def _read(self, slot: ReaderSlot) -> None:
        self.post(ReadProgress("reading", 0.2))
        try:
            document = slot.reader.read()
        except DriverError as exc:
            self.post(DocumentFailed(exc.reason))
            return
        if self.stop.is_set():
            return
        self.post(ReadProgress("verifying", 0.8))
        template = portrait_descriptor(self.embedder, document)
        self.post(DocumentRead(document, evidence_of(document, sam=slot.sam), template))

    def failed(self) -> None:
        self.post(DocumentFailed("DRV_ERROR"))


Respond = Callable[[Gesture], str | None]


@dataclass
class SubjectScript:
    """How the simulated subject answers prompts (demo: it follows them). When, is the
    subject's own business (``SimulatedSubject.answer``: a person's reaction time in wall
    time), so a slow kiosk does not also slow the person down."""

    respond: Respond = field(default=lambda g: g.value)
    retry_after_s: float = 2.0
    """A prompt still on screen this long after the answer ended is answered again."""


class FaceJob(Job):
    """Frames from the camera through a face-verification session until it ends."""

    name = "face"

    def __init__(self, post: Post, camera: object, embedder: FaceEmbedder,
                 challenges: tuple[Gesture, ...], policy: LivenessPolicy,
                 subject: SubjectScript | None = None, limit_s: float = 60.0,
                 preview: Callable[[np.ndarray], None] | None = None) -> None:  # fmt: skip
        super().__init__(post)
        self.camera = camera
        self.session = FaceVerificationSession(embedder, list(challenges), policy)
        self.subject = subject
        self.limit_s = limit_s
        self.preview = preview

    def run(self) -> None:
        started = time.monotonic()
        last, prompted, again_at = -1, None, float("inf")
        while not self.stop.is_set() and not self.session.done:
            if time.monotonic() - started > self.limit_s:
                break
            try:
                frame = self.camera.latest(newer_than=last, timeout=2.0)  # type: ignore[attr-defined]
            except DriverError as exc:
                log.warning("camera failed during a session", extra={"reason": exc.reason})
                break
            last = frame.sequence
            if self.preview is not None:
                self.preview(frame.image)
            status = self.session.feed(frame.image, frame.timestamp)
            self.post(FaceUpdate(status.challenge, status.hint, status.remaining_s,
                                 face_present=status.face_box is not None))  # fmt: skip
            if self.subject is not None:
                shown = status.challenge is not None and status.remaining_s is not None
                again = shown and time.monotonic() >= again_at  # a person tries once more
                if shown and (status.challenge is not prompted or again):
                    prompted, again_at = status.challenge, float("inf")
                    action = self.subject.respond(prompted)  # type: ignore[arg-type]
                    if action:
                        _, end = self.camera.answer(action)  # type: ignore[attr-defined]
                        again_at = end + self.subject.retry_after_s
        if self.stop.is_set():
            return
        report = self.session.report()
        probe = self.session.probe() if report.passed else None
        self.post(FaceFinished(report, probe, len(self.session.probe_samples)))


@contextlib.contextmanager
def running(job: Job) -> Iterator[Job]:
    job.start()
    try:
        yield job
    finally:
        job.cancel()
        job.join()
