"""Runs one flow: owns the devices, the embedder, the store and the jobs.

The owner (the Qt controller, or a headless driver) calls ``handle`` for taps, ``tick``
on a timer and ``pump`` to apply what the jobs posted; all three on the owner's thread,
which is the only one that touches the flow. Devices stay open for the kiosk's lifetime:
opening a SAM reader or a camera costs seconds a patient should not wait through.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from drivers.errors import DriverError
from drivers.mrz.errors import MrzError
from drivers.mrz.mrz_information import mrz_information_from_fields
from edge_sync.protocol.consent_record import consent_record
from edge_sync.protocol.result import sign_result
from kiosk.config.schema import KioskConfig
from kiosk.devices import OpenedPrinter, document_reader, receipt_printer
from kiosk.devices import camera as open_camera
from kiosk.flows.consent import RecordConsent
from kiosk.flows.messages import (
    AccessKeyRefused,
    AccessKeySet,
    CallStaff,
    CancelRead,
    Command,
    Event,
    PrintFailed,
    PrintReceipt,
    ReadDocument,
    Recorded,
    RecordFailed,
    RecordResult,
    SetAccessKey,
    Speak,
    StartFace,
    StopFace,
    Tap,
    Tick,
    Wiped,
)
from kiosk.flows.pension import (
    DOCUMENT_TYPE,
    Enrol,
    Enrolled,
    EnrolmentFound,
    EnrolmentMissing,
    LookupEnrolment,
)
from kiosk.flows.verification import Step, VerificationFlow, View, reference_code
from kiosk.his.delivery import HisDelivery, his_delivery
from kiosk.his.fhir_checkin import CheckIn, HisMessageError, checkin_bundle, identifier_system
from kiosk.idv.decision import Decision
from kiosk.idv.embedding import FaceEmbedder
from kiosk.idv.record import verification_result
from kiosk.ops.staleness import Facts, FreezeWatch, gather
from kiosk.receipts import receipt_from_view
from kiosk.security.device_key import DeviceKey
from kiosk.security.errors import SecurityError
from kiosk.security.identity import ensure_demo_identity
from kiosk.security.subject import read_site_key, subject_ref
from kiosk.shell.jobs import DocumentJob, FaceJob, Job, ReaderSlot, SubjectScript
from kiosk.shell.printing import print_in_background, receipt_job
from kiosk.store import audit, enrolment, outbox
from kiosk.store.capacity import check_capacity
from kiosk.store.consent import record_consent
from kiosk.store.database import StoreDatabase, open_from_config
from kiosk.store.errors import StoreError

log = logging.getLogger(__name__)

DEMO_SITE_KEY = "site.key"
STAFF_CALLED = "staff_called"
"""The audit action of a call for staff (what ``bdmi-health`` looks for)."""


def site_key(config: KioskConfig) -> bytes:
    """The configured site key; a demo kiosk makes its own (32 random bytes, as hex) at first
    use."""
    path = config.security.site_key_file
    if path is None:
        path = config.device.state_dir / DEMO_SITE_KEY
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as out:
                    out.write(os.urandom(32).hex() + "\n")
    return read_site_key(Path(path))


@dataclass
class FlowRunner:
    config: KioskConfig
    flow: VerificationFlow
    embedder: FaceEmbedder
    subject: SubjectScript | None = None
    """For a simulated camera: how the subject answers prompts (default: it follows)."""
    speak: Callable[[Speak], None] = lambda command: None
    preview: Callable[[np.ndarray | None], None] = lambda frame: None
    on_change: Callable[[View], None] = lambda view: None
    """Called with the flow's view after every event (the UI re-renders from it)."""
    events: queue.Queue[Event] = field(default_factory=queue.Queue)
    simulators: dict[str, object] = field(default_factory=dict)
    """Simulated readers' simulators by reader kind (demo and tests)."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """Readers that did not open, with the reason code."""
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _readers: list[ReaderSlot] = field(default_factory=list)
    _camera: object | None = None
    _simulated_camera: bool = False
    _read_job: Job | None = None
    _face_job: Job | None = None
    _db: StoreDatabase | None = None
    _key: DeviceKey | None = None
    _site_key: bytes = b""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _known_keys: dict[int, str] = field(default_factory=dict)
    """Readers whose access key is part of the setup (the demo's specimen), by ``id``."""
    _specimen_keys: dict[int, str] = field(default_factory=dict)
    """The simulated passport readers' specimen keys, known to the setup or not."""
    _printer: OpenedPrinter | None = None
    _his: HisDelivery | None = None
    _freeze: FreezeWatch | None = None
    """Whether the kiosk is out of service (``[freeze]``, kiosk/ops/staleness.py)."""
    """The hand-off to the hospital's system (``[his]``, hospital check-in only)."""

    # -- lifetime ------------------------------------------------------------------------------
    def open(self) -> None:
        """Open every configured reader, the camera, the store and the device key."""
        for kind, settings in (("sam", self.config.readers.sam),
                               ("pcsc", self.config.readers.pcsc)):  # fmt: skip
            if settings is None:
                continue
            try:
                opened = self._stack.enter_context(document_reader(self.config, kind))  # type: ignore[arg-type]
            except DriverError as exc:
                # A kiosk with one broken reader still serves the documents of the other;
                # the technician sees the reason in the log and in the service screen.
                log.error("reader unavailable", extra={"reader": kind, "reason": exc.reason})
                self.unavailable[kind] = exc.reason
                continue
            if opened.access_mrz is not None:
                self._specimen_keys[id(opened.reader)] = opened.access_mrz
            if opened.access_mrz is not None and self._mrz_known(kind):
                # The specimen passport's MRZ; a real passport's comes from the MRZ entry step.
                opened.reader.set_access_key(opened.access_mrz)  # type: ignore[attr-defined]
                self._known_keys[id(opened.reader)] = opened.access_mrz
            self._readers.append(ReaderSlot(opened.reader, sam=kind == "sam"))
            if opened.simulator is not None:
                self.simulators[kind] = opened.simulator
        cam = self._stack.enter_context(open_camera(self.config))
        self._camera, self._simulated_camera = cam.camera, cam.simulated
        if cam.simulated:
            self.simulators["camera"] = cam.camera
        if self._simulated_camera and self.subject is None:
            self.subject = SubjectScript()
        self._printer = receipt_printer(self.config)
        if self._printer is not None and self._printer.simulated:
            self.simulators["printer"] = self._printer.printer
        self._db = open_from_config(self.config, create=True)
        self._key = ensure_demo_identity(self.config)
        self._site_key = site_key(self.config)
        if self.flow.name == "hospital_checkin":
            self._his = his_delivery(self.config.his, self._db, self._lock)
        if self.config.freeze.in_force(self.config.device.mode):
            self._freeze = FreezeWatch(self.config, self._freeze_facts,
                                       self.config.freeze.check_interval_s)  # fmt: skip
            self._freeze.start()

    def close(self) -> None:
        for job in (self._read_job, self._face_job):
            if job is not None:
                job.cancel()
                job.join()
        if self._his is not None:
            self._his.stop()
        if self._freeze is not None:
            self._freeze.stop()
        if self._db is not None:
            self._db.close()
        self._stack.close()

    def __enter__(self) -> FlowRunner:
        try:
            self.open()
        except BaseException:
            self.close()  # whatever opened before the failure
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def health(self) -> dict[str, object]:
        """What the service screen shows: each device's state (with the reason code when it
        did not open), and the outbox. Codes and counts only."""
        devices: list[dict[str, str]] = []
        for kind, settings in (("sam", self.config.readers.sam),
                               ("pcsc", self.config.readers.pcsc)):  # fmt: skip
            if settings is None:
                continue
            if kind in self.unavailable:
                devices.append({"name": kind, "state": "unavailable",
                                "reason": self.unavailable[kind]})  # fmt: skip
            else:
                state = "simulated" if kind in self.simulators else "ok"
                devices.append({"name": kind, "state": state, "reason": ""})
        camera = "simulated" if self._simulated_camera else "ok"
        devices.append({"name": "camera", "state": camera if self._camera else "unavailable",
                        "reason": ""})  # fmt: skip
        status = None
        if self._db is not None:
            with self._lock:
                status = outbox.status(self._db, now_ms=int(time.time() * 1000))
        return {
            "devices": devices,
            "outbox": dict(status.counts) if status else {},
            "oldest_unsent_s": (status.oldest_pending_age_ms or 0) // 1000 if status else 0,
            "out_of_service": list(self.out_of_service()),
        }

    def out_of_service(self) -> tuple[str, ...]:
        """Why the kiosk takes no new verification now (``OPS_FROZEN_*``); empty: in service."""
        return self._freeze.reasons if self._freeze is not None else ()

    def _freeze_facts(self) -> Facts:
        assert self._db is not None
        with self._lock:
            status = outbox.status(self._db, now_ms=int(time.time() * 1000))
            capacity = check_capacity(self._db)
        age_ms = status.oldest_pending_age_ms
        used = 100.0 * capacity.store_bytes / max(1, capacity.quota_bytes)
        return gather(self.config, None if age_ms is None else age_ms // 1000, used)

    def audit_service(self, action: str) -> None:
        """An audit entry for service mode opened, closed or refused (an admin action)."""
        if self._db is None:
            return
        try:
            with self._lock:
                audit.append(self._db, at_ms=int(time.time() * 1000), actor_kind="technician",
                             actor_id="service_pin", action=action,
                             record_kind="device")  # fmt: skip
        except StoreError as exc:
            log.error("service audit entry not written", extra={"reason": exc.reason})

    def _staff_called(self, command: CallStaff) -> None:
        """The audit entry of a call for staff. ``bdmi-health`` forwards each one to the
        site's broker (kiosk/ops/staff_call.py): the store is the one hand-over between the
        kiosk and the daemon, so a call made while the broker is down still arrives."""
        reason = command.reason or "UI_STAFF_CALLED"
        log.warning("staff called", extra={"screen": command.screen, "reason": reason})
        if self._db is None:
            return
        detail = {"screen": command.screen, "reason": command.reason}
        try:
            with self._lock:
                audit.append(self._db, at_ms=int(time.time() * 1000),
                             actor_kind="patient_session", actor_id=self.flow.name,
                             action=STAFF_CALLED, record_kind="session",
                             detail=detail)  # fmt: skip
        except StoreError as exc:
            log.error("staff call not recorded", extra={"reason": exc.reason})

    # -- service mode's tools (kiosk/shell/service_tools.py) --------------------------------
    def service_selftest(self) -> list[dict[str, str | None]]:
        """The self-test, devices by presence only; blocks for seconds (call off the UI
        thread). Names, statuses and codes: what the service screen lists."""
        from kiosk.shell.service_tools import selftest_while_running

        return [{"name": c.name, "status": c.status, "reason": c.reason}
                for c in selftest_while_running(self.config)]  # fmt: skip

    def service_test_print(self) -> str | None:
        """Print the test page; ``None`` when it printed, else the reason code. Blocks for up
        to the printer's timeout (call off the UI thread)."""
        from kiosk.shell.service_tools import test_print

        if self._printer is None:
            return "DRV_NOT_CONFIGURED"
        job = test_print(self.config.device.site, self._printer.paper_mm,  # type: ignore[arg-type]
                         dt.datetime.now())  # fmt: skip
        try:
            self._printer.printer.print_job(job)
        except DriverError as exc:
            log.warning("test print failed", extra={"reason": exc.reason})
            return exc.reason
        log.info("test print done")
        return None

    def camera_frame(self, newer_than: int) -> tuple[int, np.ndarray] | None:
        """The camera's newest frame (sequence, BGR) for the service screen's check, or
        ``None`` when there is none within a moment. Only while no session runs: the face
        job reads the same camera."""
        if self._camera is None or self.flow.step is not Step.WELCOME:
            return None
        try:
            frame = self._camera.latest(newer_than=newer_than, timeout=0.05)  # type: ignore[attr-defined]
        except DriverError:
            return None
        return frame.sequence, frame.image

    def receipt_offered(self) -> bool:
        """Whether the result screen shows "Print receipt": a printer, and the config
        offers receipts."""
        return self._printer is not None and self.config.printer.offer_receipt

    def waiting_to_sync(self) -> int:
        """Results not yet accepted by a gateway (pending or sending): the offline indicator."""
        if self._db is None:
            return 0
        with self._lock:
            counts = outbox.status(self._db, now_ms=int(time.time() * 1000)).counts
        return counts["pending"] + counts["sending"]

    # -- the owner's calls -----------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        self._execute(self.flow.handle(event))
        self.on_change(self.flow.view())

    def tap(self, action: str, value: str | None = None) -> None:
        frozen = self.out_of_service()
        if action == "start" and frozen:
            # The screen shows no Start while out of service; a tap that raced the change
            # is refused here too, so no verification begins on a frozen kiosk.
            log.warning("start refused: out of service", extra={"reason": frozen[0]})
            return
        self.handle(Tap(action, value))

    def tick(self) -> None:
        self.handle(Tick())

    def pump(self) -> int:
        """Apply what the jobs posted since the last call; returns how many events."""
        count = 0
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return count
            count += 1
            self.handle(event)

    # -- commands --------------------------------------------------------------------------------
    def _execute(self, commands: list[Command]) -> None:
        for command in commands:
            if isinstance(command, ReadDocument):
                self._cancel("_read_job")
                self._read_job = DocumentJob(
                    self.events.put, self._readers, self.embedder,
                    after_removal=command.after_removal,
                ).start()  # fmt: skip
            elif isinstance(command, SetAccessKey):
                self._set_access_key(command)
            elif isinstance(command, CancelRead):
                self._cancel("_read_job")
            elif isinstance(command, StartFace):
                self._cancel("_face_job")
                policy = self.flow.liveness
                self._face_job = FaceJob(
                    self.events.put, self._camera, self.embedder, command.challenges, policy,
                    subject=self.subject if self._simulated_camera else None,
                    preview=self.preview,
                ).start()  # fmt: skip
            elif isinstance(command, StopFace):
                self._cancel("_face_job")
            elif isinstance(command, RecordResult):
                threading.Thread(target=self._record, args=(command,), name="record",
                                 daemon=True).start()  # fmt: skip
            elif isinstance(command, RecordConsent):
                self._background(self._consent, command)
            elif isinstance(command, LookupEnrolment):
                self._background(self._lookup, command)
            elif isinstance(command, Enrol):
                self._background(self._enrol, command)
            elif isinstance(command, PrintReceipt):
                self._print(command)
            elif isinstance(command, Speak):
                self.speak(command)
            elif isinstance(command, CallStaff):
                self._background(self._staff_called, command)
            elif isinstance(command, Wiped):
                self.preview(None)
                self._forget_typed_keys()

    def _print(self, command: PrintReceipt) -> None:
        """Build the receipt from the view now, on the owner's thread and before any wipe;
        only the encoded job goes to the printing thread, and nothing of it is kept here."""
        receipt = receipt_from_view(command.view, site=self.config.device.site,
                                    now=dt.datetime.now())  # fmt: skip
        if self._printer is None or not self.config.printer.offer_receipt or receipt is None:
            self.events.put(PrintFailed("DRV_NOT_CONFIGURED" if receipt else "UI_NO_RECEIPT"))
            return
        job = receipt_job(receipt, self._printer.paper_mm)  # type: ignore[arg-type]
        print_in_background(self._printer.printer, job, receipt.reference, self.events.put)

    def _mrz_known(self, kind: str) -> bool:
        pcsc = self.config.readers.pcsc
        return kind != "pcsc" or pcsc is None or pcsc.simulated_mrz_known

    @property
    def passport_key_known(self) -> bool:
        """Demo: whether the specimen passport opens as if its MRZ had been swiped."""
        return any(key in self._known_keys for key in self._specimen_keys)

    def set_passport_key_known(self, known: bool) -> None:
        """Demo: the specimen passport as if its MRZ were swiped (``True``), or as a real
        passport on a kiosk without an MRZ reader, so the kiosk asks for the photo page's
        details (the demo panel's switch). From the next session on; at once when no
        session is under way."""
        with self._lock:
            for reader, key in self._specimen_keys.items():
                if known:
                    self._known_keys[reader] = key
                else:
                    self._known_keys.pop(reader, None)
        if not self.flow.holds_personal_data():
            self._forget_typed_keys()
        log.info("demo passport key", extra={"known": known})

    def _set_access_key(self, command: SetAccessKey) -> None:
        """The BAC key from the typed details (the MRZ codec is driver code: built here, not
        in the flow), into every chip reader; the flow hears whether it could be built."""
        try:
            key = mrz_information_from_fields(command.document_number, command.birth_date,
                                              command.expiry_date)  # fmt: skip
        except MrzError as exc:
            self.events.put(AccessKeyRefused(exc.reason, exc.field))
            return
        for slot in self._chip_readers():
            slot.reader.set_access_key(key)  # type: ignore[attr-defined]
        self.events.put(AccessKeySet())

    def _chip_readers(self) -> list[ReaderSlot]:
        return [slot for slot in self._readers if hasattr(slot.reader, "set_access_key")]

    def _forget_typed_keys(self) -> None:
        """A typed key is the holder's number and dates: gone with the session."""
        for slot in self._chip_readers():
            known = self._known_keys.get(id(slot.reader))
            if known is not None:
                slot.reader.set_access_key(known)  # type: ignore[attr-defined]
            else:
                slot.reader.clear_access_key()  # type: ignore[attr-defined]

    def _background(self, work: Callable[[object], None], command: object) -> None:
        # Store reads and writes (an fsync each) stay off the UI thread.
        threading.Thread(target=work, args=(command,), name=work.__name__.strip("_"),
                         daemon=True).start()  # fmt: skip

    def _pension_ref(self, document_number: str) -> str:
        return subject_ref(self._site_key, DOCUMENT_TYPE.value, document_number)

    def _lookup(self, command: LookupEnrolment) -> None:
        """Answers ``LookupEnrolment`` with ``EnrolmentFound``/``EnrolmentMissing``, or
        ``RecordFailed`` when the store cannot be read."""
        assert self._db is not None
        try:
            with self._lock:
                found = enrolment.find(
                    self._db, self._pension_ref(command.document_number),
                    model=self.embedder.name, now_ms=int(time.time() * 1000),
                    actor_id=self.flow.name,
                )  # fmt: skip
        except StoreError as exc:
            log.error("enrolment look-up failed", extra={"reason": exc.reason})
            self.events.put(RecordFailed(exc.reason))
            return
        if found is None:
            log.info("no enrolment: first visit")
            self.events.put(EnrolmentMissing())
            return
        log.info("enrolment found", extra={"images_fused": found.images_fused})
        self.events.put(EnrolmentFound(found.embedding, found.images_fused,
                                       last_proof_ms=found.enrolled_at_ms))  # fmt: skip

    def _enrol(self, command: Enrol) -> None:
        assert self._db is not None
        keep_ms = self.config.pension.template_keep_months * 30 * 86_400_000
        try:
            with self._lock:
                enrolment.enrol(
                    self._db, self._pension_ref(command.document_number), command.template,
                    model=self.embedder.name, images_fused=command.images,
                    enrolled_by="staff", now_ms=int(time.time() * 1000), keep_ms=keep_ms,
                )  # fmt: skip
        except StoreError as exc:
            log.error("enrolment not stored", extra={"reason": exc.reason})
            self.events.put(RecordFailed(exc.reason))
            return
        log.info("pensioner enrolled", extra={"images_fused": command.images})
        self.events.put(Enrolled())

    def _cancel(self, attribute: str) -> None:
        job: Job | None = getattr(self, attribute)
        if job is not None:
            job.cancel()
            setattr(self, attribute, None)

    def _record(self, command: RecordResult) -> None:
        """Sign and store; posts ``Recorded`` or ``RecordFailed`` with the reason code."""
        assert self._db is not None and self._key is not None
        try:
            now_ms = int(time.time() * 1000)
            started_ms = now_ms - int((time.monotonic() - command.started_at) * 1000)
            evidence = command.evidence
            ref = None
            if evidence is not None and command.document_number:
                ref = subject_ref(self._site_key, evidence.doc_type.value,
                                  command.document_number)  # fmt: skip
            record = verification_result(
                command.verdict, key=self._key, site=self.config.device.site,
                flow=self.flow.name, document=evidence, subject_ref=ref,
                started_ms=min(started_ms, now_ms), decided_ms=now_ms,
                probe_images=command.probe_images,
            )  # fmt: skip
            signed = sign_result(record, self._key)
            his_body = self._his_message(command, signed.result_id, record.assurance, now_ms)
            with self._lock:
                outbox.record_result(self._db, signed, actor_kind="patient_session",
                                     actor_id=signed.result_id, his_body=his_body,
                                     now_ms=now_ms)  # fmt: skip
        except (StoreError, SecurityError) as exc:
            log.error("result not recorded", extra={"reason": exc.reason})
            self.events.put(RecordFailed(exc.reason))
            return
        log.info("result recorded", extra={"result_id": signed.result_id,
                                           "decision": signed.decision})  # fmt: skip
        self.events.put(Recorded(signed.result_id))
        if his_body is not None and self._his is not None:
            self._his.nudge()

    def _his_message(self, command: RecordResult, result_id: str, assurance: str,
                     now_ms: int) -> bytes | None:  # fmt: skip
        """The hospital system's check-in message for a pass, queued with the result. One
        that cannot be built is logged and the check-in stands: the desk can still look the
        person up by the reference on the screen."""
        his, evidence = self.config.his, command.evidence
        passed = command.verdict.decision is Decision.PASS
        if self._his is None or his is None or not passed or evidence is None:
            return None
        try:
            return checkin_bundle(CheckIn(
                identifier_system=identifier_system(his, evidence.doc_type,
                                                    command.issuing_state),
                identifier=command.document_number or "",
                reference=reference_code(result_id), result_id=result_id,
                assurance=assurance, site=self.config.device.site,
                arrived_at=dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC),
            ))  # fmt: skip
        except HisMessageError as exc:
            log.error("no HIS message for this check-in",
                      extra={"reason": exc.reason, "result_id": result_id})  # fmt: skip
            return None

    def _consent(self, command: RecordConsent) -> None:
        """Sign and store the person's answer; posts ``Recorded`` (the consent record's id)
        or ``RecordFailed`` with the reason code."""
        assert self._db is not None and self._key is not None
        terms = self.config.consent
        try:
            now_ms = int(time.time() * 1000)
            record = consent_record(
                key=self._key, site=self.config.device.site, decision=command.decision,
                relying_party=terms.relying_party,
                relying_party_account=terms.relying_party_account,
                scope_hash=command.terms.digest(),
                subject_ref=subject_ref(self._site_key, command.doc_type.value,
                                        command.document_number),
                verification_result_id=command.verification_result_id,
                duration_days=command.terms.duration_days, now_ms=now_ms,
            )  # fmt: skip
            signed = sign_result(record, self._key)
            with self._lock:
                record_consent(self._db, signed, record, now_ms=now_ms)
        except (StoreError, SecurityError) as exc:
            log.error("consent not recorded", extra={"reason": exc.reason})
            self.events.put(RecordFailed(exc.reason))
            return
        log.info("consent recorded", extra={"result_id": signed.result_id,
                                            "decision": signed.decision})  # fmt: skip
        self.events.put(Recorded(signed.result_id))
