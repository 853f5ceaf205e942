"""The pieces every signed record is built from: the schema version, the constrained text
fields, the frozen pydantic base that refuses unknown fields, time-ordered ids, integer
millionths, and the ``SigningKey`` interface that signs a record (the device key implements it).

Its own module so that ``result.py`` (verification results, and the decoder of every kind) and
``consent_record.py`` both build on it without importing each other in a circle."""

from __future__ import annotations

import os
import time
import uuid
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
MICRO = 1_000_000

Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
ScriptHash = Annotated[str, Field(pattern=r"^0x[0-9a-f]{40}$")]
Code = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{2,63}$")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SigningKey(Protocol):
    """What signs a record: ``kiosk.security.device_key.DeviceKey`` on the device."""

    @property
    def device_id(self) -> str: ...

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


def uuid7(now_ms: int | None = None) -> str:
    """A UUIDv7 (RFC 9562 section 5.7): 48-bit Unix milliseconds, version, 74 random bits.
    Python 3.14's ``uuid.uuid7`` replaces this when the kiosk moves to it."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10
    return str(uuid.UUID(int=value))


def micro(value: float) -> int:
    return round(value * MICRO)
