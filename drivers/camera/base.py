"""What every camera hands out, and the interface flows and ``kiosk/idv`` rely on.

A kiosk camera is read by one consumer at a time (the verification step), which wants the
newest picture, never a backlog: a liveness challenge judged on frames from half a second
ago would make the person repeat a movement they already made. So a camera is a source of
"the latest frame", with its capture time, not a queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One picture from a camera.

    ``image`` is BGR ``uint8`` (OpenCV's order), ``timestamp`` is ``time.monotonic()``
    seconds at capture (for a video file: the position in the file, plus the playback
    start), ``sequence`` counts frames from 0 since the camera was opened, so a consumer
    can tell a new frame from one it has already seen.
    """

    image: np.ndarray
    timestamp: float
    sequence: int

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class Camera(Protocol):
    """A camera, real or simulated. ``latest`` raises ``CameraUnavailable`` while the
    device is gone (unplugged, stream down); the driver keeps trying to reconnect."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def latest(self, *, newer_than: int = -1, timeout: float = 1.0) -> Frame:
        """The newest frame whose ``sequence`` is greater than ``newer_than``, waiting up
        to ``timeout`` seconds for one."""
        ...

    @property
    def resolution(self) -> tuple[int, int]:
        """The negotiated (width, height), which may differ from what was asked."""
        ...

    @property
    def fps(self) -> float:
        """The negotiated frame rate."""
        ...
