"""``OpenCvCamera``: a V4L2 webcam, a video file or a network stream, read through OpenCV.

One daemon thread reads continuously and keeps only the newest frame, stamped and numbered;
``latest(newer_than=n)`` waits on a condition for a frame after ``n``. There is no queue, so
a slow consumer skips frames instead of falling behind (see :mod:`drivers.camera.base`).

Negotiation. A V4L2 device is asked for the configured size and rate; it may pick another
mode, and ``resolution`` reports what the first frame measures, ``fps`` what the device
reports (the configured rate when it reports 0). Files and streams cannot be negotiated, so
their frames are scaled to cover the configured size and cropped at the centre (or, with
``crop="fit"``, fitted inside it and padded, for portrait sources), after turning them
upright by ``rotation`` degrees (a camera mounted on its side; a rotated V4L2 device is then
shaped like a file): the face
pipeline (head-pose focal length, detector width, UI overlay) is tuned on the configured
frame, a portrait clip or a 1080p stream would otherwise change frame shape and per-frame
cost from one source to the next, and covering keeps faces undistorted where stretching
would not. ``resolution`` is then the configured size; the native size is logged.

A video file is the simulated camera of the demo and the tests: it plays in real time at its
own frame rate (paced on ``clock``), looping when ``loop`` is set, and a frame's timestamp is
its position in the file plus the playback start. :func:`read_video_frames` reads a clip as
fast as it decodes instead, for ``kioskctl`` and the benchmarks.

Reconnection. When a read fails (device unplugged, stream dropped or stalled past
``read_timeout``, file gone), the capture is released and ``latest`` raises
``CameraUnavailable`` naming the source, what went wrong and for how long; the thread tries
again after 0.2 s, doubling to 2 s, until ``close``. Frames then resume and sequence numbers
keep increasing. ``open`` never raises for an absent camera: a kiosk started before its
camera is plugged in recovers by itself. It waits up to ``open_timeout`` for the first
attempt, so with the camera present ``resolution`` and ``fps`` are negotiated on return.

The capture object belongs to the thread, which alone reads and releases it: releasing a
capture while another thread is inside ``read`` crashes some backends. ``close`` stops the
thread and waits up to ``close_timeout``; a thread still blocked in a read (a stalled
stream) releases the device when that read times out, and publishes nothing more.

Logging: the source (a URL without credentials or query), state changes and the negotiated
mode. Never pixels.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from enum import StrEnum

import cv2
import numpy as np

from drivers.camera.base import Frame
from drivers.camera.frames import ROTATIONS, shape_frame
from drivers.camera.sources import CameraSource, SourceKind, parse_source
from drivers.errors import CameraUnavailable
from drivers.lifecycle import OpenCloseContext

_log = logging.getLogger(__name__)

_MAX_LAG = 0.25
"""Seconds a file playback may fall behind (a stalled machine) before it stops catching up
and restarts its pacing from now, so it never bursts frames to make up lost time."""


class _State(StrEnum):
    CLOSED = "closed"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    UNAVAILABLE = "unavailable"
    ENDED = "ended"


class _Outcome(StrEnum):
    FAILED = "failed"  # never delivered a frame this time: back off further
    LOST = "lost"  # delivered frames, then stopped: retry quickly
    ENDED = "ended"  # a file without loop reached its end: stop for good
    STOPPED = "stopped"  # close() was called


class OpenCvCamera(OpenCloseContext):
    """A :class:`drivers.camera.base.Camera` over ``cv2.VideoCapture``.

    ``source`` and ``kind`` are parsed by :func:`drivers.camera.sources.parse_source`
    (``ValueError`` when malformed). ``loop`` only matters for files. ``clock`` stamps the
    frames and paces file playback; waiting always uses real time.
    """

    def __init__(
        self,
        source: str,
        *,
        kind: SourceKind,
        width: int = 640,
        height: int = 480,
        fps: float = 15.0,
        loop: bool = True,
        clock: Callable[[], float] = time.monotonic,
        open_timeout: float = 5.0,
        read_timeout: float = 2.0,
        close_timeout: float = 2.0,
        retry_initial: float = 0.2,
        retry_max: float = 2.0,
        rotation: int = 0,
        crop: str = "cover",
    ) -> None:
        if width <= 0 or height <= 0 or not fps > 0:
            raise ValueError(f"camera mode {width}x{height} at {fps} fps is not positive")
        if rotation not in ROTATIONS or crop not in ("cover", "fit"):
            raise ValueError(f"camera rotation {rotation} / crop {crop!r} is not supported")
        self.rotation, self.crop = rotation, crop
        if not 0 < retry_initial <= retry_max:
            raise ValueError(f"retry delays {retry_initial} .. {retry_max} s are not ordered")
        self.source: CameraSource = parse_source(source, kind)
        self.requested = (int(width), int(height))
        self.requested_fps = float(fps)
        self.loop = loop
        self.open_timeout = open_timeout
        self.read_timeout = read_timeout
        self.close_timeout = close_timeout
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._clock = clock
        self._lifecycle = threading.Lock()  # serialises open() and close()
        self._cond = threading.Condition()  # guards everything below
        self._thread: threading.Thread | None = None
        self._stop: threading.Event | None = None
        self._state = _State.CLOSED
        self._problem = "not open"
        self._since = 0.0  # clock() when the current state began
        self._frame: Frame | None = None
        self._next_sequence = 0
        self._resolution = self.requested
        self._fps = self.requested_fps

    # -- Camera -----------------------------------------------------------------------

    def open(self) -> None:
        """Start capturing; idempotent. Sequence numbers restart from 0."""
        with self._lifecycle:
            with self._cond:
                if self._thread is not None:
                    return
                stop, attempted = threading.Event(), threading.Event()
                self._stop = stop
                self._frame = None
                self._next_sequence = 0
                self._resolution, self._fps = self.requested, self.requested_fps
                self._enter(_State.CONNECTING, "no frame yet")
                self._thread = threading.Thread(
                    target=self._run,
                    args=(stop, attempted),
                    name=f"camera-{self.source.kind}",
                    daemon=True,
                )
                self._thread.start()
            _log.info("camera %s %s: opening", self.source.kind, self.source.display)
            attempted.wait(self.open_timeout)

    def close(self) -> None:
        """Stop the capture thread and release the device; idempotent."""
        with self._lifecycle:
            with self._cond:
                thread, stop = self._thread, self._stop
                self._thread = self._stop = None
                if stop is not None:
                    stop.set()  # under the lock: the thread checks it before publishing
                self._frame = None
                self._enter(_State.CLOSED, "not open")
            if thread is None:
                return
            thread.join(self.close_timeout)
            if thread.is_alive():
                _log.warning(
                    "camera %s: capture thread still inside a read after %.1f s; "
                    "it releases the device when the read returns",
                    self.source.display,
                    self.close_timeout,
                )
            else:
                _log.info("camera %s closed", self.source.display)

    def latest(self, *, newer_than: int = -1, timeout: float = 1.0) -> Frame:
        """The newest frame with ``sequence > newer_than``, waiting up to ``timeout`` s.

        Raises ``CameraUnavailable`` at once while the camera is closed, gone or ended (a
        file without ``loop``), and when no such frame arrives in time.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._state in (_State.CLOSED, _State.UNAVAILABLE, _State.ENDED):
                    raise CameraUnavailable(self._describe())
                frame = self._frame
                if frame is not None and frame.sequence > newer_than:
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CameraUnavailable(self._describe_wait(newer_than, timeout))
                self._cond.wait(remaining)

    @property
    def resolution(self) -> tuple[int, int]:
        """(width, height) of the frames handed out: measured on the first frame for V4L2,
        the configured size for files and streams; the configured size until a frame."""
        with self._cond:
            return self._resolution

    @property
    def fps(self) -> float:
        """The device's or file's frame rate, or the configured one when it reports none."""
        with self._cond:
            return self._fps

    @property
    def available(self) -> bool:
        """True while frames are arriving (for a status screen; ``latest`` says why not)."""
        with self._cond:
            return self._state is _State.STREAMING

    # -- state, under self._cond ------------------------------------------------------

    def _enter(self, state: _State, problem: str) -> None:
        if state is not self._state:
            self._since = self._clock()
        self._state, self._problem = state, problem
        self._cond.notify_all()

    def _describe(self) -> str:
        where = f"camera {self.source.kind} {self.source.display}"
        if self._state is _State.UNAVAILABLE:
            gone = max(0.0, self._clock() - self._since)
            return f"{where} unavailable for {gone:.1f} s: {self._problem}; reconnecting"
        return f"{where} {self._problem}"

    def _describe_wait(self, newer_than: int, timeout: float) -> str:
        where = f"camera {self.source.kind} {self.source.display}"
        if self._state is _State.CONNECTING:
            waited = max(0.0, self._clock() - self._since)
            return f"{where} still connecting after {waited:.1f} s: no frame yet"
        return f"{where} delivered no frame after #{newer_than} within {timeout:.1f} s"

    # -- the capture thread -----------------------------------------------------------

    def _run(self, stop: threading.Event, attempted: threading.Event) -> None:
        delay = self.retry_initial
        try:
            while not stop.is_set():
                try:
                    outcome = self._session(stop, attempted)
                except Exception:  # a bug must not freeze the camera silently
                    _log.exception("camera %s: capture failed", self.source.display)
                    self._unavailable(stop, "capture error (see the log)")
                    outcome = _Outcome.FAILED
                attempted.set()
                if outcome in (_Outcome.ENDED, _Outcome.STOPPED):
                    return
                if outcome is _Outcome.LOST:
                    delay = self.retry_initial
                if stop.wait(delay):
                    return
                delay = min(delay * 2.0, self.retry_max)
        finally:
            attempted.set()

    def _session(self, stop: threading.Event, attempted: threading.Event) -> _Outcome:
        """One connection: open, negotiate, read until failure, release."""
        capture, problem = self._open_capture()
        if capture is None:
            self._unavailable(stop, problem)
            return _Outcome.FAILED
        try:
            ok, image = capture.read()
            stamp = self._clock()
            if not ok or image is None:
                self._unavailable(stop, "opened but delivers no frames")
                return _Outcome.FAILED
            native = (int(image.shape[1]), int(image.shape[0]))
            fps = _reported_fps(capture, self.requested_fps)
            image = self._fit(image)
            with self._cond:
                if stop.is_set():
                    return _Outcome.STOPPED
                was = self._state
                gone = self._clock() - self._since
                self._resolution, self._fps = (image.shape[1], image.shape[0]), fps
            self._log_negotiated(native, fps, gone if was is _State.UNAVAILABLE else None)
            if self.source.kind == "file":
                return self._play_file(capture, image, fps, stop, attempted)
            self._publish(stop, image, stamp)
            attempted.set()
            return self._stream_live(capture, stop)
        finally:
            capture.release()

    def _open_capture(self) -> tuple[cv2.VideoCapture | None, str]:
        source = self.source
        node = source.node
        if node is not None:
            what = "device" if source.kind == "v4l2" else "file"
            if not node.exists():  # follows symlinks: a dangling udev link is "no such device"
                return None, f"no such {what}"
            if not os.access(node, os.R_OK):
                hint = " (is the kiosk user in the 'video' group?)" if what == "device" else ""
                return None, f"permission denied on the {what}{hint}"
        params: list[int] = []
        if source.kind == "url":
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                round(self.open_timeout * 1000),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                round(self.read_timeout * 1000),
            ]
        try:
            capture = cv2.VideoCapture(source.target, source.api, params)
        except cv2.error:  # its text may quote the URL, credentials included: not repeated
            return None, "OpenCV raised an error opening it"
        if not capture.isOpened():
            capture.release()
            if source.kind == "url":
                return None, "the stream cannot be opened (server down, refused or timed out)"
            return None, f"OpenCV cannot open the {source.kind} source"
        if source.kind == "v4l2":
            width, height = self.requested
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            capture.set(cv2.CAP_PROP_FPS, self.requested_fps)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # fewer queued driver buffers, fresher frames
        return capture, ""

    def _stream_live(self, capture: cv2.VideoCapture, stop: threading.Event) -> _Outcome:
        while not stop.is_set():
            if not capture.grab():
                return self._lost(stop, "stopped delivering frames")
            stamp = self._clock()  # after grab: as close to capture as OpenCV lets us see
            ok, image = capture.retrieve()
            if not ok or image is None:
                return self._lost(stop, "delivered a frame that cannot be decoded")
            if not self._publish(stop, self._fit(image), stamp):
                return _Outcome.STOPPED
        return _Outcome.STOPPED

    def _play_file(
        self,
        capture: cv2.VideoCapture,
        first: np.ndarray,
        fps: float,
        stop: threading.Event,
        attempted: threading.Event,
    ) -> _Outcome:
        """Publish each frame when its position in the file is due on ``clock``."""
        position = _FilePosition(fps)
        start = self._clock() - position.advance(capture)
        offset = 0.0  # duration of the passes already played
        image, frames = first, 0
        while True:
            due = start + offset + position.last
            wait = due - self._clock()
            if wait > 0:
                if stop.wait(wait):
                    return _Outcome.STOPPED
            elif wait < -_MAX_LAG:
                start -= wait
                due -= wait
            if not self._publish(stop, image, due):
                return _Outcome.STOPPED
            attempted.set()
            frames += 1
            ok, raw = capture.read()
            if not ok or raw is None:
                if not self.loop:
                    self._ended(stop, f"ended after {frames} frames (loop is off)")
                    return _Outcome.ENDED
                offset += position.rewind()
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, raw = capture.read()
                if not ok or raw is None:
                    gone = self.source.node is not None and not self.source.node.exists()
                    return self._lost(stop, "no such file" if gone else "cannot read it again")
            position.advance(capture)
            image = self._fit(raw)

    def _fit(self, image: np.ndarray) -> np.ndarray:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if self.source.kind == "v4l2" and self.rotation == 0:
            return image
        # A rotated device is brought back to the configured frame like a file is.
        return shape_frame(image, *self.requested, rotation=self.rotation, crop=self.crop)

    def _publish(self, stop: threading.Event, image: np.ndarray, stamp: float) -> bool:
        with self._cond:
            if stop.is_set():
                return False
            self._frame = Frame(image=image, timestamp=stamp, sequence=self._next_sequence)
            self._next_sequence += 1
            if self._state is not _State.STREAMING:
                self._enter(_State.STREAMING, "streaming")
            self._cond.notify_all()
            return True

    def _unavailable(self, stop: threading.Event, problem: str) -> None:
        with self._cond:
            if stop.is_set():
                return
            changed = self._state is not _State.UNAVAILABLE or problem != self._problem
            # Never connected since open(): it has been gone since then.
            since = self._since if self._state is _State.CONNECTING else None
            self._enter(_State.UNAVAILABLE, problem)
            if since is not None:
                self._since = since
            self._frame = None
        log = _log.warning if changed else _log.debug
        log("camera %s unavailable: %s; reconnecting", self.source.display, problem)

    def _lost(self, stop: threading.Event, problem: str) -> _Outcome:
        self._unavailable(stop, problem)
        return _Outcome.LOST

    def _ended(self, stop: threading.Event, problem: str) -> None:
        with self._cond:
            if not stop.is_set():
                self._frame = None
                self._enter(_State.ENDED, problem)
        _log.info("camera %s: %s", self.source.display, problem)

    def _log_negotiated(self, native: tuple[int, int], fps: float, gone: float | None) -> None:
        width, height = self.resolution
        asked_w, asked_h = self.requested
        back = f" (back after {gone:.1f} s)" if gone is not None else ""
        scaled = "" if native == (width, height) else f", scaled from {native[0]}x{native[1]}"
        _log.info(
            "camera %s streaming %dx%d at %.2f fps%s; asked %dx%d at %.2f fps%s",
            self.source.display,
            width,
            height,
            fps,
            scaled,
            asked_w,
            asked_h,
            self.requested_fps,
            back,
        )


def read_video_frames(
    path: str | os.PathLike[str],
    size: tuple[int, int] | None = None,
    *,
    assumed_fps: float = 30.0,
    rotation: int = 0,
    crop: str = "cover",
) -> Iterator[Frame]:
    """Every frame of a video file, as fast as it decodes (no pacing, no thread).

    ``timestamp`` is the position in the file in seconds (the container's timestamps, else
    index / fps, with ``assumed_fps`` when the file states no rate); ``sequence`` is the
    frame index. ``size`` (width, height) shapes frames like the live camera does
    (``rotation``, then ``crop``). Raises
    ``CameraUnavailable`` when the file is missing or not a video OpenCV can decode.
    """
    source = parse_source(os.fspath(path), "file")
    if source.node is not None and not source.node.exists():
        raise CameraUnavailable(f"video file {source.display}: no such file")
    capture = cv2.VideoCapture(source.target, source.api)
    try:
        if not capture.isOpened():
            raise CameraUnavailable(f"video file {source.display}: OpenCV cannot open it")
        position = _FilePosition(_reported_fps(capture, assumed_fps))
        index = 0
        while True:
            ok, image = capture.read()
            if not ok or image is None:
                return
            timestamp = position.advance(capture)
            if image.ndim == 2:
                image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            if size is not None:
                image = shape_frame(image, *size, rotation=rotation, crop=crop)
            yield Frame(image=image, timestamp=timestamp, sequence=index)
            index += 1
    finally:
        capture.release()


class _FilePosition:
    """Seconds into a file for each decoded frame: the container's timestamp when it moves
    forward, else one frame period after the previous one, so positions never repeat or go
    back within a pass (some containers report 0 or a stale value)."""

    def __init__(self, fps: float) -> None:
        self.period = 1.0 / fps
        self.last = 0.0
        self._started = False

    def advance(self, capture: cv2.VideoCapture) -> float:
        seconds = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        if not self._started:
            self.last = seconds if math.isfinite(seconds) and seconds >= 0 else 0.0
            self._started = True
        elif math.isfinite(seconds) and seconds > self.last:
            self.last = seconds
        else:
            self.last += self.period
        return self.last

    def rewind(self) -> float:
        """Start a new pass; returns the length of the one just played."""
        length = self.last + self.period
        self.last, self._started = 0.0, False
        return length


def _reported_fps(capture: cv2.VideoCapture, fallback: float) -> float:
    fps = capture.get(cv2.CAP_PROP_FPS)
    return float(fps) if math.isfinite(fps) and 0 < fps <= 1000 else fallback
