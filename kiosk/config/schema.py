"""The kiosk's configuration: one TOML file, validated strictly.

Every model forbids unknown keys, because a misspelt key that is silently ignored on a
hospital kiosk (``inactivity_timout_s``) leaves a default in force that nobody chose.
Secrets are never values in this file: keys ending in ``_file`` name a file that holds
the secret, so the config itself can be printed, copied and attached to a ticket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

Mode = Literal["demo", "production"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _expand(value: Path | None) -> Path | None:
    return value.expanduser() if value is not None else None


SecretFile = Annotated[Path, Field(description="path of a file holding a secret")]


FlowName = Literal["hospital_checkin", "pension_survival", "insurance_consent"]


class DeviceConfig(_Strict):
    site: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    """Site id: lower-case letters, digits and dashes; it becomes part of MQTT topics."""
    mode: Mode = "production"
    state_dir: Path = Path("/var/lib/bdmi-kiosk")
    flow: FlowName = "hospital_checkin"
    """What this kiosk does: hospital check-in, pension survival authentication at a
    pension office, or an insurer's underwriting consent after a verification."""

    _expand_state_dir = field_validator("state_dir")(lambda v: v.expanduser())


class LoggingConfig(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "kv"] = "json"


class UiConfig(_Strict):
    default_language: Literal["zh_CN", "en"] = "zh_CN"
    fullscreen: bool = True
    large_text: bool = False
    high_contrast: bool = False
    """The site's defaults for language, text size and contrast: every session starts with
    them, and a person's own choice is undone at the wipe."""
    inactivity_timeout_s: Annotated[int, Field(ge=30, le=600)] = 60
    inactivity_warning_s: Annotated[int, Field(ge=20, le=120)] = 30
    """How long "Are you still there?" waits for an answer before the wipe: at least 20 s
    (WCAG 2.2.1 asks 20 s to extend a time limit). Part of ``inactivity_timeout_s``."""
    result_display_s: Annotated[int, Field(ge=30, le=600)] = 60
    """How long the result (reference, QR code) stays without a tap before the wipe; Done
    ends it at once. The warning takes the last ``inactivity_warning_s`` of it."""
    voice_prompts: bool = True
    """Say each prompt and challenge aloud (espeak-ng), in the session's language."""

    @model_validator(mode="after")
    def _warning_fits(self) -> UiConfig:
        for name in ("inactivity_timeout_s", "result_display_s"):
            if getattr(self, name) <= self.inactivity_warning_s:
                raise PydanticCustomError(
                    "warning_too_long",
                    "ui.{name} ({value} s) must be longer than ui.inactivity_warning_s ({warn} s)",
                    {"name": name, "value": getattr(self, name), "warn": self.inactivity_warning_s},
                )
        return self


ReaderPlacement = Literal["below_left", "below_centre", "below_right", "left", "right"]
"""Where a reader sits on the kiosk, seen from the person: the document screen draws it there."""


class SamReaderConfig(_Strict):
    """Serial SAM reader of China resident ID cards."""

    placement: ReaderPlacement = "below_right"

    kind: Literal["serial", "simulated"] = "serial"
    port: str = "auto"
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200


class PcscReaderConfig(_Strict):
    """PC/SC contactless reader of ICAO 9303 ePassports and eIDs."""

    placement: ReaderPlacement = "below_left"

    kind: Literal["pcsc", "simulated"] = "pcsc"
    reader: str = ""
    """Substring of the PC/SC reader name; empty takes the first reader."""
    csca_dir: Path | None = None
    """Directory of trusted CSCA certificates for passive authentication."""
    simulated_vpcd_port: Annotated[int, Field(ge=1, le=65535)] = 35963
    """Where the simulated passport plugs into pcscd's vpcd driver (Debian's default)."""
    simulated_mrz_known: bool = True
    """The demo knows the specimen passport's MRZ, as if it had been swiped; ``false`` makes
    the kiosk ask for it on screen, as for a real passport without an MRZ reader."""
    simulated_chip: Literal["genuine", "clone"] = "genuine"
    """The simulated passport's chip: the genuine specimen (its Active Authentication key
    signs the kiosk's challenge), or a clone of it (the same data, not the key), which the
    reader refuses with DRV_EMRTD_CLONE_SUSPECTED: how the refusal looks, for training."""

    _expand_csca = field_validator("csca_dir")(_expand)


class ReadersConfig(_Strict):
    sam: SamReaderConfig | None = None
    pcsc: PcscReaderConfig | None = None


class CameraConfig(_Strict):
    kind: Literal["v4l2", "file", "url", "simulated_subject"] = "v4l2"
    source: str = "/dev/video0"
    width: Annotated[int, Field(ge=160, le=3840)] = 640
    height: Annotated[int, Field(ge=120, le=2160)] = 480
    fps: Annotated[int, Field(ge=1, le=60)] = 15
    rotation: Literal[0, 90, 180, 270] = 0
    """Clockwise degrees that turn the camera's picture upright (a camera on its side)."""
    crop: Literal["cover", "fit"] = "cover"
    """How a picture of another shape becomes the configured frame: ``cover`` crops the
    centre, ``fit`` keeps all of it and pads (a portrait camera: the face stays in view)."""


GestureName = Literal["blink", "turn_left", "turn_right", "nod", "open_mouth"]


class LivenessConfig(_Strict):
    """Challenge-response liveness (kiosk/idv/liveness.py)."""

    min_challenges: Annotated[int, Field(ge=1, le=5)] = 3
    max_challenges: Annotated[int, Field(ge=1, le=5)] = 3
    challenges: tuple[GestureName, ...] = ("turn_left", "turn_right", "nod", "open_mouth")
    """Blinks are not asked for by default: people blink every few seconds on their own,
    so a blink answers nothing about a replay (docs/biometrics.md)."""
    time_limit_s: Annotated[float, Field(ge=2.0, le=30.0)] = 7.0
    answer_window_s: Annotated[float, Field(ge=1.0, le=30.0)] = 3.0
    """The answer must begin within this long of its prompt. Wider windows raise the
    chance that a fixed recording passes (``kioskctl`` / docs/biometrics.md give it)."""
    gap_min_s: Annotated[float, Field(ge=0.0, le=30.0)] = 0.5
    gap_max_s: Annotated[float, Field(ge=0.0, le=60.0)] = 6.5
    """The random wait before each prompt, drawn on a 0.25 s grid between these."""
    fixed_order: tuple[GestureName, ...] = ()
    """Demo and tests only: the same challenges every time. Production refuses it."""
    min_fps: Annotated[float, Field(ge=1.0, le=30.0)] = 5.0
    """Frames analysed per second below which the self-test fails the camera
    (``OPS_FACE_RATE_TOO_LOW``): held gestures are tested down to 5."""
    blink_min_fps: Annotated[float, Field(ge=1.0, le=60.0)] = 12.0
    """Below this analysed rate a drawn blink is replaced by a held gesture."""

    @model_validator(mode="after")
    def _counts(self) -> LivenessConfig:
        if self.gap_min_s > self.gap_max_s:
            raise PydanticCustomError("prompt_gap", "gap_min_s must not exceed gap_max_s")
        if self.min_challenges > self.max_challenges:
            raise PydanticCustomError(
                "challenge_count", "min_challenges must not exceed max_challenges"
            )
        if self.max_challenges > len(set(self.challenges)):
            raise PydanticCustomError(
                "challenge_count",
                "max_challenges ({n}) exceeds the {k} distinct challenges allowed",
                {"n": self.max_challenges, "k": len(set(self.challenges))},
            )
        return self


class MatchConfig(_Strict):
    """Overrides of the embedding model's shipped calibration, for a site that recalibrated
    (docs/biometrics.md). Leave unset to use the shipped thresholds."""

    accept_max_distance: Annotated[float, Field(gt=0.0, lt=2.0)] | None = None
    refer_max_distance: Annotated[float, Field(gt=0.0, lt=2.0)] | None = None
    site_calibration: Path | None = None
    """The file ``kioskctl face calibrate`` wrote from the site's own photos: its per-mode
    thresholds replace the shipped ones where it measured the mode. The kiosk refuses one
    looser than the shipped false-accept bound unless it was forced (and audited)."""

    _expand_site_calibration = field_validator("site_calibration")(_expand)


class AntiSpoofConfig(_Strict):
    """Optional passive anti-spoofing model (ONNX through OpenCV dnn); off when unset."""

    model: Path | None = None
    input_size: tuple[int, int] = (80, 80)
    crop_scale: Annotated[float, Field(ge=1.0, le=4.0)] = 2.7
    live_class: Annotated[int, Field(ge=0)] = 1
    pixel_scale: Annotated[float, Field(gt=0.0)] = 1.0
    min_live_score: Annotated[float, Field(ge=0.0, le=1.0)] = 0.8

    _expand_model = field_validator("model")(_expand)


class FlowAssuranceConfig(_Strict):
    require: Literal["EA5+", "EA5-"] = "EA5+"
    """EA5+: chip-verified document + face match + liveness; EA5-: document + liveness."""


def _default_flows() -> dict[str, FlowAssuranceConfig]:
    return {
        "hospital_checkin": FlowAssuranceConfig(require="EA5-"),
        "pension_survival": FlowAssuranceConfig(require="EA5+"),
        "insurance_consent": FlowAssuranceConfig(require="EA5+"),
    }


class IdvConfig(_Strict):
    """On-device identity verification."""

    landmark_model: Path | None = None
    """68-point dlib landmark model; the packaged one (iBUG 300-W, non-commercial terms)
    when unset."""
    embedding_model: Literal["dlib_resnet_v1"] = "dlib_resnet_v1"
    liveness: LivenessConfig = LivenessConfig()
    match: MatchConfig = MatchConfig()
    antispoof: AntiSpoofConfig = AntiSpoofConfig()
    flows: dict[FlowName, FlowAssuranceConfig] = Field(default_factory=_default_flows)

    _expand_model = field_validator("landmark_model")(_expand)

    @field_validator("match")
    @classmethod
    def _match_not_looser_than_shipped(
        cls, match: MatchConfig, info: ValidationInfo
    ) -> MatchConfig:
        """A site calibration looser than the shipped bound and not forced, or a broken one,
        stops the kiosk at its config check rather than at the first match. So does an
        ``accept_max_distance`` above a mode's shipped threshold: it applies to every mode
        at once and comes with no evidence at all (the old shipped 0.385 accepted 0.37% of
        impostors on an unseen set); a site that must accept more calibrates and forces."""
        model = info.data.get("embedding_model")
        if model is None:
            return match
        from kiosk.idv.errors import IdvError
        from kiosk.idv.matching import MatchMode, thresholds_for
        from kiosk.idv.site_calibration import load

        try:
            if match.accept_max_distance is not None:
                looser = [
                    mode.value
                    for mode in MatchMode
                    if match.accept_max_distance > thresholds_for(model, mode).accept_max
                ]
                if looser:
                    raise IdvError(
                        f"accept_max_distance {match.accept_max_distance} is above the shipped "
                        f"threshold of {', '.join(looser)}; use a site calibration "
                        "(kioskctl face calibrate) instead",
                        reason="IDV_CALIBRATION_LOOSER",
                    )
            if match.site_calibration is not None:
                load(match.site_calibration, model)
        except IdvError as exc:
            raise PydanticCustomError(
                "site_calibration", "{reason}: {message}",
                {"reason": exc.reason, "message": str(exc.args[0])},
            ) from None  # fmt: skip
        return match
        from kiosk.idv.errors import IdvError
        from kiosk.idv.site_calibration import load

        try:
            load(match.site_calibration, model)
        except IdvError as exc:
            raise PydanticCustomError(
                "site_calibration", "{reason}: {message}",
                {"reason": exc.reason, "message": str(exc.args[0])},
            ) from None  # fmt: skip
        return match


class StoreConfig(_Strict):
    path: Path | None = None
    """SQLite database; defaults to ``<state_dir>/kiosk.db``."""
    key_file: SecretFile | None = None
    """SQLCipher key. Required in production."""
    quota_mb: Annotated[int, Field(ge=16, le=1_048_576)] = 1024
    """Most the store may occupy (file + WAL); at the quota new results are refused, queued
    ones are never dropped (``STORE_QUOTA_REACHED``)."""
    min_free_mb: Annotated[int, Field(ge=0, le=1_048_576)] = 256
    """Free disk space to keep; below it new results are refused (``STORE_DISK_LOW``)."""
    keep_anchored_days: Annotated[int, Field(ge=0, le=3650)] = 30
    """Days a result is kept after it is anchored on chain; unanchored ones are always kept."""

    _expand_paths = field_validator("path", "key_file")(_expand)


class PensionConfig(_Strict):
    """Pension survival authentication (``device.flow = "pension_survival"``)."""

    validity_months: Annotated[int, Field(ge=1, le=60)] = 12
    """How long a life certificate is valid."""
    remind_days: Annotated[int, Field(ge=0, le=365)] = 30
    """The next proof is due this many days before the certificate runs out."""
    template_keep_months: Annotated[int, Field(ge=1, le=120)] = 36
    """An enrolled template is kept (and used) this long, then purged: the pensioner enrols
    again, supervised, with a face of that day."""
    max_pin_failures: Annotated[int, Field(ge=1, le=10)] = 3
    pin_lockout_s: Annotated[int, Field(ge=0, le=86_400)] = 300


ConsentScope = Literal[
    "hospital_records", "prescriptions", "lab_results", "imaging", "discharge_summaries"
]
ConsentPurpose = Literal["underwriting", "claims"]


class ConsentConfig(_Strict):
    """The terms an insurance consent kiosk shows (``device.flow = "insurance_consent"``).

    Scope and purpose are codes the screen translates, never free text: the person reads the
    same terms in either language, and the signed record hashes exactly these values."""

    insurer: Annotated[str, Field(min_length=1, max_length=80)] = "Demo Mutual Insurance"
    """The insurer's name as the signed consent records it, and as the screen shows it in a
    language ``insurer_names`` has no entry for."""
    insurer_names: dict[
        Literal["zh_CN", "en"], Annotated[str, Field(min_length=1, max_length=80)]
    ] = {}
    """The insurer's name as the screen shows it, by language (``zh_CN = "..."``)."""
    relying_party: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")] = "ins-demo"
    """The insurer's id at the gateway; it goes into the signed consent."""
    relying_party_account: Annotated[str, Field(pattern=r"^0x[0-9a-f]{40}$")] | None = None
    """The insurer's NEO account (script hash), when the gateway records consents on chain."""
    data_scope: Annotated[list[ConsentScope], Field(min_length=1)] = ["hospital_records"]
    purpose: ConsentPurpose = "underwriting"
    duration_days: Annotated[int, Field(ge=1, le=3660)] = 365


class PrinterConfig(_Strict):
    """The receipt printer (58 or 80 mm ESC/POS thermal, drivers/printer/)."""

    kind: Literal["none", "device", "simulated"] = "none"
    """``device``: a printer's device file; ``simulated``: demo and tests only."""
    device: Path = Path("/dev/bdmi/printer0")
    """The printer's device file (the udev name; ``/dev/usb/lp0`` is the kernel's own)."""
    paper_mm: Literal[58, 80] = 58
    offer_receipt: bool = True
    """Show "Print receipt" on the result of a pass, a life certificate or a consent."""
    timeout_s: Annotated[float, Field(ge=1.0, le=60.0)] = 10.0
    """Longest a job may take before it is reported as ``DRV_PRINTER_TIMEOUT``."""
    simulated_output: Path | None = None
    """The simulated printer appends every job's bytes to this file as well."""

    _expand_paths = field_validator("device", "simulated_output")(_expand)


class SecurityConfig(_Strict):
    site_key_file: SecretFile | None = None
    """HMAC key that turns document numbers into pseudonymous ``subject_ref``s."""
    service_pin_file: SecretFile | None = None
    """Hash of the staff/technician service-mode PIN."""
    machine_secret_file: SecretFile | None = None
    """32 random bytes that unlock the device key; defaults to ``<state_dir>/machine.secret``."""
    key_dir: Path | None = None
    """The device keyring (NEP-2 encrypted keys); defaults to ``<state_dir>/keys``."""

    _expand_paths = field_validator(
        "site_key_file", "service_pin_file", "machine_secret_file", "key_dir"
    )(_expand)


class SyncConfig(_Strict):
    enabled: bool = True
    broker_host: str = "localhost"
    broker_port: Annotated[int, Field(ge=1, le=65535)] = 8883
    ca_file: Path | None = None
    """CA of the broker's certificate; without it the connection is plain TCP (demo only)."""
    cert_file: Path | None = None
    """The device's mTLS client certificate (``kioskctl provision`` writes it)."""
    key_file: SecretFile | None = None
    window: Annotated[int, Field(ge=1, le=1000)] = 32
    """Results published and not yet acknowledged, at most."""
    resend_after_s: Annotated[float, Field(ge=1, le=3600)] = 30.0
    health_interval_s: Annotated[float, Field(ge=1, le=3600)] = 60.0
    keepalive_s: Annotated[int, Field(ge=5, le=3600)] = 30
    session_expiry_s: Annotated[int, Field(ge=0, le=30 * 24 * 3600)] = 7 * 24 * 3600
    rejected_retry_s: Annotated[int, Field(ge=10, le=7 * 24 * 3600)] = 3600
    """A result the gateway rejected is tried again this much later (never dropped)."""
    anchor_recheck_s: Annotated[int, Field(ge=5, le=7 * 24 * 3600)] = 600
    """A result accepted this long ago without its ``anchored`` ack is asked about again."""
    gateway_public_keys: tuple[Annotated[str, Field(pattern=r"^0[23][0-9a-f]{64}$")], ...] = ()
    """The gateways' ack-signing keys (compressed P-256, hex), pinned at provisioning from
    the registration answer (or `bdmi-gateway ack-key`). ``bdmi-sync`` applies no ack that
    none of them signed, and does not start without one."""
    chain_rpc_url: str | None = None
    """A NEO N3 RPC node, for ``kioskctl proof verify`` only: the kiosk never writes on chain."""
    registry_contract: Annotated[str, Field(pattern=r"^0x[0-9a-f]{40}$")] | None = None
    """The IdvRegistry contract hash the gateway anchors to."""

    _expand_paths = field_validator("ca_file", "cert_file", "key_file")(_expand)


class HealthConfig(_Strict):
    """The self-test and the keepalive daemon (``kioskctl selftest``, ``bdmi-health``)."""

    interval_s: Annotated[int, Field(ge=10, le=86_400)] = 300
    """Seconds between two rounds of ``bdmi-health run`` (the self-test and the watches)."""
    disk_warn_free_mb: Annotated[int, Field(ge=0, le=1_048_576)] = 1024
    """Free space on the state dir's disk under which the self-test warns."""
    disk_fail_free_mb: Annotated[int, Field(ge=0, le=1_048_576)] = 256
    """Free space under which it fails (the store refuses results at ``store.min_free_mb``)."""
    quota_warn_percent: Annotated[int, Field(ge=1, le=100)] = 90
    """Warn when the store uses this share of ``store.quota_mb``."""
    sync_lag_warn_s: Annotated[int, Field(ge=60, le=30 * 24 * 3600)] = 3600
    """Warn when the oldest result no gateway accepted is older than this."""
    cert_warn_days: Annotated[int, Field(ge=0, le=365)] = 30
    """Warn when the mTLS client certificate or its CA expires within this many days."""
    mqtt_timeout_s: Annotated[float, Field(ge=1.0, le=120.0)] = 10.0
    integrity: Literal["quick", "full"] = "quick"
    """``PRAGMA quick_check`` (seconds on a large store) or ``integrity_check`` (minutes)."""
    services: tuple[str, ...] = ("bdmi-kiosk", "bdmi-sync")
    """Services the daemon watches (``bdmi-sync`` only while ``sync.enabled``)."""
    pid_dir: Path = Path("/run/bdmi-kiosk")
    """Without systemd as PID 1: ``<pid_dir>/<service>.pid`` tells whether a service lives."""
    recovery: bool = True
    """Re-open a failed camera, reset a failed reader (each recorded in the audit log)."""
    recovery_min_interval_s: Annotated[int, Field(ge=10, le=86_400)] = 300
    """Least time between two recovery actions on one device; doubles after each failure."""
    recovery_max_interval_s: Annotated[int, Field(ge=10, le=7 * 86_400)] = 3600

    _expand_pid_dir = field_validator("pid_dir")(lambda v: v.expanduser())

    @model_validator(mode="after")
    def _ordered(self) -> HealthConfig:
        if self.disk_fail_free_mb > self.disk_warn_free_mb:
            raise PydanticCustomError(
                "health_order", "disk_fail_free_mb must not exceed disk_warn_free_mb"
            )
        if self.recovery_min_interval_s > self.recovery_max_interval_s:
            raise PydanticCustomError(
                "health_order", "recovery_min_interval_s must not exceed recovery_max_interval_s"
            )
        return self


class AssistConfig(_Strict):
    """Help for a person who is stuck: another try, a call for staff, a louder voice."""

    retries: Annotated[int, Field(ge=0, le=5)] = 2
    """"Try again" after a retryable failure (a liveness timeout, a face the camera could not
    use, a card lifted too early), this many times in a session; then staff are called.
    A face that does not match its document is never retried at the kiosk."""
    staff_call_hold_s: Annotated[int, Field(ge=30, le=1800)] = 180
    """How long a call for staff holds off the inactivity wipe: the walk to the kiosk."""
    voice_volume: Annotated[int, Field(ge=0, le=100)] = 50
    """The voice's loudness in percent (50: espeak-ng's own); back to it at every wipe."""
    staff_call_poll_s: Annotated[float, Field(ge=0.5, le=60)] = 3.0
    """How often ``bdmi-health`` looks for new calls for staff to forward to the site."""


class HisConfig(_Strict):
    """The hand-off to the hospital information system after a passed check-in: an HL7 FHIR
    R4 transaction Bundle POSTed over mutual TLS to the site's own endpoint (kiosk/his). The
    one, configured, place personal data (the patient identifier) leaves the kiosk."""

    endpoint: Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$",
                                   max_length=2048)]  # fmt: skip
    """The FHIR base URL of the HIS, inside the site (``https://his.local/fhir``)."""
    ca_file: Path
    """The CA that signed the HIS's server certificate."""
    cert_file: Path
    """The kiosk's client certificate for the HIS."""
    key_file: SecretFile
    resident_id_system: Annotated[str, Field(min_length=4, max_length=256)]
    """The HIS's identifier system for resident ID card numbers (an ``urn:oid:`` or URL the
    hospital names): the Patient is found by it."""
    passport_system: Annotated[str, Field(min_length=4, max_length=256)] = (
        "http://hl7.org/fhir/sid/passport-{state}"
    )
    """The identifier system for passport numbers; ``{state}`` is the issuing state."""
    timeout_s: Annotated[float, Field(ge=1.0, le=60.0)] = 10.0
    poll_s: Annotated[float, Field(ge=0.5, le=600.0)] = 5.0
    """How often the kiosk looks for messages due (a new one goes at once)."""
    keep_refused_days: Annotated[int, Field(ge=1, le=365)] = 14
    """A message the HIS refused stays this long for staff (``kioskctl outbox``), then goes."""

    _expand_paths = field_validator("ca_file", "cert_file", "key_file")(_expand)


class FreezeConfig(_Strict):
    """When the kiosk stops taking new verifications (an out-of-service screen with the
    reason code): left alone too long to be trusted (kiosk/ops/staleness.py)."""

    enabled: bool | None = None
    """``None``: in force in production, not in a demo (whose clock and sync are the
    developer's machine's)."""
    max_unsent_days: Annotated[int, Field(ge=1, le=365)] = 14
    """The oldest result no gateway accepted is older than this (sync on)."""
    store_full_percent: Annotated[int, Field(ge=50, le=100)] = 98
    """The store uses this share of ``store.quota_mb``: stop before results are refused."""
    cert_min_days: Annotated[int, Field(ge=0, le=90)] = 3
    """The MQTT client certificate or its CA expires within this many days (sync on)."""
    csca_max_age_days: Annotated[int, Field(ge=1, le=3650)] = 365
    """The CSCA trust directory (``readers.pcsc.csca_dir``) has not changed for this long."""
    calibration_max_age_days: Annotated[int, Field(ge=1, le=3650)] = 730
    """The site calibration file (``idv.match.site_calibration``) is older than this."""
    require_clock_sync: bool = True
    """The clock is not NTP-synchronised (when the system can tell)."""
    check_interval_s: Annotated[float, Field(ge=1.0, le=3600.0)] = 60.0

    def in_force(self, mode: str) -> bool:
        return self.enabled if self.enabled is not None else mode == "production"


class KioskConfig(_Strict):
    device: DeviceConfig
    logging: LoggingConfig = LoggingConfig()
    ui: UiConfig = UiConfig()
    readers: ReadersConfig = ReadersConfig()
    camera: CameraConfig = CameraConfig()
    idv: IdvConfig = IdvConfig()
    store: StoreConfig = StoreConfig()
    security: SecurityConfig = SecurityConfig()
    sync: SyncConfig = SyncConfig()
    pension: PensionConfig = PensionConfig()
    health: HealthConfig = HealthConfig()
    consent: ConsentConfig = ConsentConfig()
    printer: PrinterConfig = PrinterConfig()
    assist: AssistConfig = AssistConfig()
    his: HisConfig | None = None
    freeze: FreezeConfig = FreezeConfig()
    """``[his]``: the hospital system's check-in endpoint; absent, no hand-off."""

    @model_validator(mode="after")
    def _production_uses_real_parts(self) -> KioskConfig:
        """A production kiosk must never run on simulated parts or without its secrets:
        a simulated subject would pass every liveness check."""
        if self.device.mode != "production":
            return self
        problems: list[tuple[str, str]] = []
        if self.readers.sam and self.readers.sam.kind == "simulated":
            problems.append(("readers.sam.kind", "= 'simulated'"))
        if self.readers.pcsc and self.readers.pcsc.kind == "simulated":
            problems.append(("readers.pcsc.kind", "= 'simulated'"))
        if self.camera.kind == "simulated_subject":
            problems.append(("camera.kind", "= 'simulated_subject'"))
        if self.printer.kind == "simulated":
            problems.append(("printer.kind", "= 'simulated'"))
        if self.idv.liveness.fixed_order:
            problems.append(("idv.liveness.fixed_order", "is set (challenges must be random)"))
        else:
            from kiosk.idv.gestures import Gesture
            from kiosk.idv.liveness import LivenessPolicy, chance_pass_bound

            live = self.idv.liveness
            chance = chance_pass_bound(
                LivenessPolicy(
                    min_challenges=live.min_challenges, max_challenges=live.max_challenges,
                    challenges=tuple(Gesture(g) for g in live.challenges),
                    time_limit_s=live.time_limit_s, answer_window_s=live.answer_window_s,
                    gap_min_s=live.gap_min_s, gap_max_s=live.gap_max_s,
                )
            )  # fmt: skip
            if chance > 0.01:
                problems.append((
                    "idv.liveness",
                    f"lets a fixed recording pass {chance:.1%} of sessions (at most 1%)",
                ))  # fmt: skip
        for key, value in (
            ("store.key_file", self.store.key_file),
            ("security.site_key_file", self.security.site_key_file),
        ):
            if value is None:
                problems.append((key, "is required"))
        if self.device.flow == "pension_survival" and self.security.service_pin_file is None:
            problems.append(("security.service_pin_file", "is required for pension_survival"))
        if problems:
            # The keys travel in the error's context so the loader can name each one's line.
            raise PydanticCustomError(
                "production_mode",
                "not allowed in production mode: {summary}",
                {"summary": "; ".join(f"{k} {m}" for k, m in problems), "problems": problems},
            )
        return self

    @property
    def database_path(self) -> Path:
        return self.store.path or self.device.state_dir / "kiosk.db"

    @property
    def keyring_dir(self) -> Path:
        return self.security.key_dir or self.device.state_dir / "keys"

    @property
    def machine_secret_path(self) -> Path:
        return self.security.machine_secret_file or self.device.state_dir / "machine.secret"

    def secret_files(self) -> dict[str, Path]:
        """Every configured secret file by its dotted key, for checks that never read
        the secret into a message."""
        found = {
            "store.key_file": self.store.key_file,
            "security.site_key_file": self.security.site_key_file,
            "security.service_pin_file": self.security.service_pin_file,
            "security.machine_secret_file": self.security.machine_secret_file,
            "sync.key_file": self.sync.key_file,
            "his.key_file": self.his.key_file if self.his else None,
        }
        return {k: v for k, v in found.items() if v is not None}
