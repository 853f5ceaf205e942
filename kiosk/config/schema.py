"""The kiosk's configuration: one TOML file, validated strictly.

Every model forbids unknown keys, because a misspelt key that is silently ignored on a
hospital kiosk (``inactivity_timout_s``) leaves a default in force that nobody chose.
Secrets are never values in this file: keys ending in ``_file`` name a file that holds
the secret, so the config itself can be printed, copied and attached to a ticket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

Mode = Literal["demo", "production"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _expand(value: Path | None) -> Path | None:
    return value.expanduser() if value is not None else None


SecretFile = Annotated[Path, Field(description="path of a file holding a secret")]


class DeviceConfig(_Strict):
    site: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    """Site id: lower-case letters, digits and dashes; it becomes part of MQTT topics."""
    mode: Mode = "production"
    state_dir: Path = Path("/var/lib/bdmi-kiosk")

    _expand_state_dir = field_validator("state_dir")(lambda v: v.expanduser())


class LoggingConfig(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "kv"] = "json"


class UiConfig(_Strict):
    default_language: Literal["zh_CN", "en"] = "zh_CN"
    fullscreen: bool = True
    large_text: bool = False
    high_contrast: bool = False
    inactivity_timeout_s: Annotated[int, Field(ge=10, le=600)] = 60


class SamReaderConfig(_Strict):
    """Serial SAM reader of China resident ID cards."""

    kind: Literal["serial", "simulated"] = "serial"
    port: str = "auto"
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200


class PcscReaderConfig(_Strict):
    """PC/SC contactless reader of ICAO 9303 ePassports and eIDs."""

    kind: Literal["pcsc", "simulated"] = "pcsc"
    reader: str = ""
    """Substring of the PC/SC reader name; empty takes the first reader."""
    csca_dir: Path | None = None
    """Directory of trusted CSCA certificates for passive authentication."""
    simulated_vpcd_port: Annotated[int, Field(ge=1, le=65535)] = 35963
    """Where the simulated passport plugs into pcscd's vpcd driver (Debian's default)."""

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


class StoreConfig(_Strict):
    path: Path | None = None
    """SQLite database; defaults to ``<state_dir>/kiosk.db``."""
    key_file: SecretFile | None = None
    """SQLCipher key. Required in production."""

    _expand_paths = field_validator("path", "key_file")(_expand)


class SecurityConfig(_Strict):
    site_key_file: SecretFile | None = None
    """HMAC key that turns document numbers into pseudonymous ``subject_ref``s."""
    service_pin_file: SecretFile | None = None
    """Hash of the staff/technician service-mode PIN."""

    _expand_paths = field_validator("site_key_file", "service_pin_file")(_expand)


class SyncConfig(_Strict):
    enabled: bool = True
    broker_host: str = "localhost"
    broker_port: Annotated[int, Field(ge=1, le=65535)] = 8883
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: SecretFile | None = None

    _expand_paths = field_validator("ca_file", "cert_file", "key_file")(_expand)


class KioskConfig(_Strict):
    device: DeviceConfig
    logging: LoggingConfig = LoggingConfig()
    ui: UiConfig = UiConfig()
    readers: ReadersConfig = ReadersConfig()
    camera: CameraConfig = CameraConfig()
    store: StoreConfig = StoreConfig()
    security: SecurityConfig = SecurityConfig()
    sync: SyncConfig = SyncConfig()

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
        for key, value in (
            ("store.key_file", self.store.key_file),
            ("security.site_key_file", self.security.site_key_file),
        ):
            if value is None:
                problems.append((key, "is required"))
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

    def secret_files(self) -> dict[str, Path]:
        """Every configured secret file by its dotted key, for checks that never read
        the secret into a message."""
        found = {
            "store.key_file": self.store.key_file,
            "security.site_key_file": self.security.site_key_file,
            "security.service_pin_file": self.security.service_pin_file,
            "sync.key_file": self.sync.key_file,
        }
        return {k: v for k, v in found.items() if v is not None}
