"""Camera: does it deliver fresh frames, and is the picture exposed well enough to verify?

A camera can be "working" and still useless: pointed at a window (everything clipped white),
its lens covered or the room dark (mean near black). Liveness then fails for everyone with
``IDV_TOO_DARK`` and the site blames the software. So the check takes a few consecutive frames
and measures the whole picture: mean grey level and the share of clipped pixels. The limits
are wider than the face-quality gates (kiosk/idv/quality.py judges the face, not the frame):
this catches a broken set-up, not a shadow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.ops.check import Check, fail, ok, warn
from kiosk.ops.context import CheckContext

NAME = "camera"
FRAMES = 5
FRAME_TIMEOUT_S = 3.0
DARK_MEAN = 40.0
"""Mean grey level (0-255) under which the picture is too dark to find a face in."""
BRIGHT_MEAN = 220.0
CLIPPED_SHARE = 0.25
"""Share of pixels at 0-4 or 251-255 above which the exposure is broken (a window behind,
a lamp into the lens, a covered lens)."""
_LOW, _HIGH = 4, 251

OPS_CAMERA_TOO_DARK = "OPS_CAMERA_TOO_DARK"
OPS_CAMERA_TOO_BRIGHT = "OPS_CAMERA_TOO_BRIGHT"
OPS_CAMERA_CLIPPED = "OPS_CAMERA_CLIPPED"


@dataclass(frozen=True, slots=True)
class Exposure:
    mean: float
    """Mean grey level, 0-255."""
    clipped: float
    """Share of pixels at either end of the range, 0-1."""


def exposure(image: np.ndarray) -> Exposure:
    """Exposure of one BGR (or grey) ``uint8`` frame."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    total = grey.size
    if total == 0:
        return Exposure(0.0, 1.0)
    clipped = np.count_nonzero(grey <= _LOW) + np.count_nonzero(grey >= _HIGH)
    return Exposure(float(grey.mean()), clipped / total)


def judge(found: list[Exposure], width: int, height: int, fps: float) -> Check:
    """The verdict on the frames' exposure (medians: one odd frame does not decide)."""
    mean = float(np.median([e.mean for e in found]))
    clipped = float(np.median([e.clipped for e in found]))
    detail = {
        "frames": len(found),
        "mean_brightness": round(mean, 1),
        "clipped_share": round(clipped, 3),
        "width": width,
        "height": height,
        "fps": round(fps, 2),
    }
    summary = f"{len(found)} frames {width}x{height}, mean {mean:.0f}/255, {clipped:.0%} clipped"
    if mean < DARK_MEAN:
        return warn(NAME, OPS_CAMERA_TOO_DARK, f"{summary}: too dark", **detail)
    if mean > BRIGHT_MEAN:
        return warn(NAME, OPS_CAMERA_TOO_BRIGHT, f"{summary}: too bright", **detail)
    if clipped > CLIPPED_SHARE:
        return warn(NAME, OPS_CAMERA_CLIPPED, f"{summary}: exposure clipped", **detail)
    return ok(NAME, summary, **detail)


def check_camera(ctx: CheckContext, frames: int = FRAMES) -> Check:
    """Open the configured camera afresh, take ``frames`` new frames, judge their exposure.
    ``DRV_CAMERA_UNAVAILABLE`` (from the driver) when it gives none in time."""
    from drivers.errors import CameraUnavailable
    from kiosk.devices import camera

    started = time.monotonic()
    with camera(ctx.config) as opened:
        device = opened.camera
        found: list[Exposure] = []
        sequence = -1
        try:
            for _ in range(frames):
                frame = device.latest(newer_than=sequence, timeout=FRAME_TIMEOUT_S)
                sequence = frame.sequence
                found.append(exposure(frame.image))
        except CameraUnavailable as exc:
            return fail(NAME, exc.reason, str(exc.args[0]), frames=len(found))
        width, height = device.resolution
        verdict = judge(found, width, height, device.fps)
    verdict.detail["simulated"] = opened.simulated
    verdict.detail["open_and_read_s"] = round(time.monotonic() - started, 2)
    return verdict
