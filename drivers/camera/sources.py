"""What ``[camera] source`` names, turned into what ``cv2.VideoCapture`` is given.

The config says both ``kind`` and ``source``, so nothing is guessed from the text alone: a
file called ``0`` stays a file, and a typo in a URL is reported at start-up instead of being
tried as a file path every two seconds. Parsing is pure (no filesystem, no OpenCV calls
beyond two constants) so it can be fuzzed.

``display`` is the form used in logs and error messages: a stream URL loses its user
information and query string, which is where IP cameras put passwords and tokens.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import cv2

SourceKind = Literal["v4l2", "file", "url"]
KINDS: tuple[SourceKind, ...] = ("v4l2", "file", "url")
URL_SCHEMES = frozenset({"http", "https", "rtsp", "rtsps"})
MAX_DEVICE_INDEX = 63  # /dev/video63: videodev allows 64 minors per driver by default

_INDEX = re.compile(r"[0-9]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


@dataclass(frozen=True, slots=True)
class CameraSource:
    """A parsed source. ``target`` is what ``cv2.VideoCapture`` opens with ``api``; ``node``
    is the filesystem entry that must exist first (device node or video file), so a missing
    one is reported as such rather than as OpenCV's generic "can't open"."""

    kind: SourceKind
    target: str | int
    api: int
    display: str
    node: Path | None


def parse_source(source: str, kind: SourceKind) -> CameraSource:
    """Parse ``source`` for ``kind``; raises ``ValueError`` naming what is wrong."""
    if kind not in KINDS:
        raise ValueError(f"camera kind {kind!r} is not one of {', '.join(KINDS)}")
    if "\x00" in source:
        raise ValueError("camera source contains a NUL character")
    text = source.strip()
    if not text:
        raise ValueError(f"camera source is empty (kind {kind!r})")
    if kind == "v4l2":
        return _parse_v4l2(text)
    if kind == "file":
        return _parse_file(text)
    return _parse_url(text)


def _parse_v4l2(text: str) -> CameraSource:
    if _INDEX.fullmatch(text):
        index = int(text)
        if index > MAX_DEVICE_INDEX:
            raise ValueError(f"V4L2 device index {index} is above {MAX_DEVICE_INDEX}")
        node = Path(f"/dev/video{index}")
        return CameraSource("v4l2", index, cv2.CAP_V4L2, str(node), node)
    if not text.startswith("/"):
        # A relative path would depend on the service's working directory.
        raise ValueError(
            f"V4L2 source {_redact(text)!r} is neither a device index (0, 1, ...) "
            "nor an absolute device path (/dev/video0, /dev/bdmi-camera)"
        )
    return CameraSource("v4l2", text, cv2.CAP_V4L2, text, Path(text))


def _parse_file(text: str) -> CameraSource:
    if "://" in text:
        raise ValueError(f"camera source {_redact(text)!r} looks like a URL: use kind 'url'")
    path = os.path.expanduser(text)  # unlike Path.expanduser, leaves "~nobody" as it is
    # FFMPEG, not CAP_ANY: the image-sequence backend would read "%d" in a name as a pattern.
    return CameraSource("file", path, cv2.CAP_FFMPEG, path, Path(path))


def _parse_url(text: str) -> CameraSource:
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError when the port is not a number in range
    except ValueError as exc:
        raise ValueError(f"camera URL {_redact(text)!r} is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise ValueError(
            f"camera URL {_redact(text)!r} has scheme {scheme or 'none'!r}; "
            f"expected one of {', '.join(sorted(URL_SCHEMES))}"
        )
    if not parts.hostname:
        raise ValueError(f"camera URL {_redact(text)!r} has no host")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    where = host if port is None else f"{host}:{port}"
    return CameraSource("url", text, cv2.CAP_FFMPEG, f"{scheme}://{where}{parts.path}", None)


def _redact(text: str) -> str:
    """For messages about text that did not parse: drop everything up to the last ``@``
    (user information, with a password that may itself hold ``/``, ``?`` or ``://``), then
    any query or fragment (tokens), so an error never echoes a secret."""
    scheme, sep, rest = text.partition("://")
    if not (sep and _SCHEME.fullmatch(scheme)):
        scheme, sep, rest = "", "", text
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    rest = re.split(r"[?#]", rest, maxsplit=1)[0]
    return f"{scheme}{sep}{rest}"
