"""OpenCvCamera and read_video_frames on real transports, no mocks.

* Video files: a clip written here with ``cv2.VideoWriter`` (MJPG in AVI) whose frames carry
  their index as eight black/white stripes, so a test can tell which frame it got after JPEG
  and scaling; and the shared liveness clip, a real H.264 MP4 in portrait.
* A network stream: an MJPEG-over-HTTP server (``multipart/x-mixed-replace``, the format of
  most IP cameras' "mjpg" URL) in a thread. OpenCV's FFMPEG backend in this venv reads it;
  stopping the server is the unplug, restarting it on the same port the replug.
* A V4L2 device path that does not exist (there is no webcam on a CI machine).

Timing is never asserted: waits have generous timeouts, and "the consumer skips frames" is
shown by waiting for the camera to move ahead, then checking ``latest`` hands out the newest.
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from drivers.camera.base import Camera, Frame
from drivers.camera.frames import cover_resize
from drivers.camera.opencv_camera import OpenCvCamera, read_video_frames
from drivers.camera.sources import MAX_DEVICE_INDEX, URL_SCHEMES, parse_source
from drivers.errors import CameraUnavailable
from tests.drivers.shared_data import require_shared_data
from tests.harness.ports import free_port, wait_until

CLIP_FRAMES = 64
CLIP_FPS = 50.0
CLIP_SIZE = (160, 120)
BITS = 8
WAIT = 10.0  # generous: a loaded CI machine, never a performance claim


# -- frames that say which frame they are ---------------------------------------------


def numbered_image(index: int, size: tuple[int, int] = CLIP_SIZE) -> np.ndarray:
    """Eight vertical stripes, white for a 1 bit, most significant first."""
    width, height = size
    image = np.zeros((height, width, 3), np.uint8)
    stripe = width // BITS
    for bit in range(BITS):
        if index >> (BITS - 1 - bit) & 1:
            image[:, bit * stripe : (bit + 1) * stripe] = 255
    return image


def frame_number(image: np.ndarray) -> int:
    height, width = image.shape[:2]
    stripe = width / BITS
    value = 0
    for bit in range(BITS):
        centre = int((bit + 0.5) * stripe)
        band = image[height // 4 : 3 * height // 4, centre - 2 : centre + 3]
        value = value << 1 | int(band.mean() > 127)
    return value


def write_clip(path: Path, frames: int = CLIP_FRAMES, fps: float = CLIP_FPS) -> Path:
    """An MJPG AVI; written beside ``path`` and renamed, so a reader never sees half of it."""
    partial = path.with_name(path.name + ".partial.avi")
    writer = cv2.VideoWriter(str(partial), cv2.VideoWriter.fourcc(*"MJPG"), fps, CLIP_SIZE)
    assert writer.isOpened(), "OpenCV cannot write MJPG/AVI here"
    for index in range(frames):
        writer.write(numbered_image(index))
    writer.release()
    partial.rename(path)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("camera") / "numbered.avi")


@pytest.fixture
def camera_closed() -> Iterator[Callable[[OpenCvCamera], OpenCvCamera]]:
    """Registers cameras so each is closed even when its test fails."""
    cameras: list[OpenCvCamera] = []
    yield lambda camera: cameras.append(camera) or camera
    for camera in cameras:
        camera.close()


def unavailable(camera: OpenCvCamera) -> CameraUnavailable | None:
    try:
        camera.latest(timeout=0.5)
    except CameraUnavailable as exc:
        return exc
    return None


def wait_for_sequence(camera: OpenCvCamera, at_least: int) -> Frame:
    deadline = time.monotonic() + WAIT
    frame = camera.latest(timeout=WAIT)
    while frame.sequence < at_least:
        assert time.monotonic() < deadline, f"camera stuck at frame #{frame.sequence}"
        frame = camera.latest(newer_than=frame.sequence, timeout=WAIT)
    return frame


# -- a video file as the camera -------------------------------------------------------


def test_clip_frames_are_numbered(clip: Path) -> None:
    # The fixture itself: JPEG and scaling keep the stripes readable.
    frames = list(read_video_frames(clip))
    assert [frame_number(f.image) for f in frames] == list(range(CLIP_FRAMES))


def test_file_camera_hands_out_the_newest_frame_and_loops(clip: Path, camera_closed) -> None:
    camera = camera_closed(OpenCvCamera(str(clip), kind="file", width=320, height=240))
    as_protocol: Camera = camera  # the driver satisfies the protocol (checked by type checkers)
    as_protocol.open()
    # A file cannot be negotiated: frames are scaled to the configured size, at its own rate.
    assert camera.resolution == (320, 240)
    assert camera.fps == pytest.approx(CLIP_FPS)
    first = camera.latest(timeout=WAIT)
    assert first.image.shape == (240, 320, 3)
    assert first.image.dtype == np.uint8
    seen = [first]

    # latest(newer_than=s) waits for a newer frame.
    seen.append(camera.latest(newer_than=first.sequence, timeout=WAIT))
    assert seen[-1].sequence > first.sequence

    # A slow consumer: while it is busy the camera moves on by several frames; the next call
    # returns the newest one, never the frame right after the one it had.
    mark = seen[-1].sequence
    wait_for_sequence(camera, mark + 3)
    skipped = camera.latest(newer_than=mark, timeout=WAIT)
    assert skipped.sequence >= mark + 3
    seen.append(skipped)

    # Past the end of the file it loops, the sequence keeps counting, and each frame's
    # picture is the file's frame number sequence % length.
    seen.append(wait_for_sequence(camera, CLIP_FRAMES + 5))
    for frame in seen:
        assert frame_number(frame.image) == frame.sequence % CLIP_FRAMES

    # Timestamps: monotonic, never in the future, and at least the file's frame period
    # apart (playback restarts its pacing after a stall, which only widens the gaps).
    for earlier, later in itertools.pairwise(seen):
        assert later.timestamp > earlier.timestamp
        gap = (later.sequence - earlier.sequence) / CLIP_FPS
        assert later.timestamp - earlier.timestamp >= gap - 1e-6
    assert seen[-1].timestamp <= time.monotonic()


def test_latest_raises_when_no_newer_frame_comes_in_time(clip: Path, camera_closed) -> None:
    camera = camera_closed(OpenCvCamera(str(clip), kind="file"))
    camera.open()
    with pytest.raises(CameraUnavailable, match="delivered no frame after #1000000") as info:
        camera.latest(newer_than=1_000_000, timeout=0.2)
    assert info.value.reason == "DRV_CAMERA_UNAVAILABLE"


def test_a_file_without_loop_ends(tmp_path: Path, camera_closed) -> None:
    short = write_clip(tmp_path / "short.avi", frames=8)
    camera = camera_closed(OpenCvCamera(str(short), kind="file", loop=False))
    camera.open()
    wait_until(lambda: unavailable(camera) is not None, WAIT, "the end of the file")
    assert "ended after 8 frames (loop is off)" in str(unavailable(camera))
    assert str(short) in str(unavailable(camera))


def test_missing_file_is_unavailable_until_it_appears(tmp_path: Path, camera_closed) -> None:
    path = tmp_path / "later.avi"
    camera = camera_closed(OpenCvCamera(str(path), kind="file", retry_max=0.2))
    camera.open()  # does not raise: the driver keeps trying
    error = unavailable(camera)
    assert error is not None
    assert str(path) in str(error)
    assert "no such file" in str(error)
    write_clip(path, frames=8)
    wait_until(lambda: unavailable(camera) is None, WAIT, "the file to be found")
    frame = camera.latest(timeout=WAIT)
    assert frame_number(frame.image) == frame.sequence % 8


def test_shared_liveness_clip_plays_as_a_camera(camera_closed) -> None:
    path = require_shared_data("liveness", "repeating_blink_video.mp4")
    probe = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    native_fps = probe.get(cv2.CAP_PROP_FPS)
    native = (int(probe.get(cv2.CAP_PROP_FRAME_WIDTH)), int(probe.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    probe.release()
    assert native == (480, 854)  # portrait: covering 4:3 crops it, never stretches it

    camera = camera_closed(OpenCvCamera(str(path), kind="file", width=320, height=240))
    camera.open()
    assert camera.resolution == (320, 240)
    assert camera.fps == pytest.approx(native_fps)
    first = camera.latest(timeout=WAIT)
    second = camera.latest(newer_than=first.sequence, timeout=WAIT)
    assert first.image.shape == second.image.shape == (240, 320, 3)
    assert second.timestamp > first.timestamp


# -- read_video_frames: a clip as fast as it decodes ----------------------------------


def test_read_video_frames_gives_positions_in_the_file(clip: Path) -> None:
    frames = list(read_video_frames(clip, size=(80, 60)))
    assert [f.sequence for f in frames] == list(range(CLIP_FRAMES))
    assert [f.timestamp for f in frames] == pytest.approx(
        [i / CLIP_FPS for i in range(CLIP_FRAMES)]
    )
    assert {f.image.shape for f in frames} == {(60, 80, 3)}


def test_read_video_frames_of_the_shared_clip() -> None:
    path = require_shared_data("liveness", "repeating_blink_video.mp4")
    probe = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    count = int(probe.get(cv2.CAP_PROP_FRAME_COUNT))
    probe.release()
    stamps = [f.timestamp for f in read_video_frames(path)]
    assert len(stamps) == count
    assert stamps[0] == 0.0
    assert all(b > a for a, b in itertools.pairwise(stamps))


def test_read_video_frames_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailable, match="no such file"):
        next(read_video_frames(tmp_path / "absent.mp4"))


def test_cover_resize_crops_instead_of_stretching() -> None:
    portrait = np.zeros((200, 100, 3), np.uint8)
    portrait[90:110, :] = 255  # a band across the middle survives the centre crop
    out = cover_resize(portrait, 100, 50)
    assert out.shape == (50, 100, 3)
    assert out[25, 50].tolist() == [255, 255, 255]
    assert out[0, 0].tolist() == [0, 0, 0]


# -- an MJPEG stream over HTTP: unplug and replug -------------------------------------


class MjpegServer:
    """``GET /stream.mjpg`` answers a multipart stream of JPEG frames until ``stop``, which
    closes every connection as a camera losing power would."""

    BOUNDARY = "frame"

    def __init__(self, port: int, size: tuple[int, int] = (320, 240)) -> None:
        self.port, self.size = port, size
        self._server: http.server.ThreadingHTTPServer | None = None
        self._stopping = threading.Event()

    def start(self) -> MjpegServer:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header(
                    "Content-Type", f"multipart/x-mixed-replace; boundary={owner.BOUNDARY}"
                )
                self.end_headers()
                index = 0
                stopping = owner._stopping
                try:
                    while not stopping.is_set():
                        ok, jpeg = cv2.imencode(".jpg", numbered_image(index % 256, owner.size))
                        assert ok
                        data = jpeg.tobytes()
                        head = (
                            f"--{owner.BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                            f"Content-Length: {len(data)}\r\n\r\n"
                        )
                        self.wfile.write(head.encode() + data + b"\r\n")
                        index += 1
                        stopping.wait(0.02)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True  # rebind the port while old connections linger
            daemon_threads = True

        self._stopping.clear()
        self._server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def mjpeg_server() -> Iterator[MjpegServer]:
    server = MjpegServer(free_port()).start()
    yield server
    server.stop()


def test_opencv_reads_an_mjpeg_http_stream(mjpeg_server: MjpegServer) -> None:
    # The premise of the next test, checked on the bare backend.
    capture = cv2.VideoCapture(f"http://127.0.0.1:{mjpeg_server.port}/stream.mjpg", cv2.CAP_FFMPEG)
    try:
        assert capture.isOpened()
        ok, image = capture.read()
        assert ok
        assert image.shape == (240, 320, 3)
    finally:
        capture.release()


def test_stream_unplugged_and_replugged(
    mjpeg_server: MjpegServer, camera_closed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="drivers.camera")
    display = f"http://127.0.0.1:{mjpeg_server.port}/stream.mjpg"
    url = display.replace("http://", "http://kiosk:S3cretPw@") + "?token=T0kenValue"
    camera = camera_closed(
        OpenCvCamera(url, kind="url", width=160, height=120, read_timeout=1.0, retry_max=0.4)
    )
    camera.open()
    assert camera.resolution == (160, 120)  # the stream's 320x240, scaled
    assert camera.fps > 0
    first = camera.latest(timeout=WAIT)
    before = camera.latest(newer_than=first.sequence, timeout=WAIT)
    assert before.image.shape == (120, 160, 3)

    mjpeg_server.stop()
    wait_until(lambda: unavailable(camera) is not None, WAIT, "the camera to notice")
    error = unavailable(camera)
    assert error is not None
    assert error.reason == "DRV_CAMERA_UNAVAILABLE"
    assert display in str(error)
    assert "unavailable for" in str(error)
    assert not camera.available

    mjpeg_server.start()
    wait_until(lambda: unavailable(camera) is None, WAIT, "frames after the replug")
    after = camera.latest(timeout=WAIT)
    assert after.sequence > before.sequence
    assert after.timestamp > before.timestamp
    assert camera.latest(newer_than=after.sequence, timeout=WAIT).sequence > after.sequence

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert display in logged
    assert "S3cretPw" not in logged
    assert "T0kenValue" not in logged
    assert "S3cretPw" not in str(error)


# -- a V4L2 device that is not there --------------------------------------------------


@pytest.mark.parametrize(
    ("source", "node"),
    [("/dev/video-does-not-exist", "/dev/video-does-not-exist"), ("63", "/dev/video63")],
)
def test_missing_v4l2_device_opens_and_reports_unavailable(
    source: str, node: str, camera_closed
) -> None:
    # Decision: open() does not raise. A kiosk booted before its camera is plugged in, or
    # with the camera on a flaky hub, must recover without a restart; latest() says why.
    if os.path.exists(node):
        pytest.skip(f"{node} exists on this machine")
    camera = camera_closed(OpenCvCamera(source, kind="v4l2", retry_max=0.2))
    camera.open()
    error = unavailable(camera)
    assert error is not None
    assert f"camera v4l2 {node} unavailable for" in str(error)
    assert "no such device; reconnecting" in str(error)
    assert camera.resolution == (640, 480)  # nothing negotiated: what was asked
    started = time.monotonic()
    camera.close()
    assert time.monotonic() - started < WAIT


# -- lifecycle ------------------------------------------------------------------------


def test_lifecycle(tmp_path: Path) -> None:
    # Eight frames without loop: a first session ends at #7, so a frame numbered 0..7 after
    # reopening shows the sequence restarted (it would be 8 or more otherwise).
    short = write_clip(tmp_path / "short.avi", frames=8)
    camera = OpenCvCamera(str(short), kind="file", loop=False)
    with pytest.raises(CameraUnavailable, match="not open"):
        camera.latest(timeout=0.1)
    with camera:
        first = camera.latest(timeout=WAIT)
        camera.open()  # idempotent: the same capture goes on
        wait_until(lambda: unavailable(camera) is not None, WAIT, "the end of the file")
        assert "ended after 8 frames" in str(unavailable(camera))
    camera.close()  # idempotent
    with pytest.raises(CameraUnavailable, match="not open"):
        camera.latest(timeout=0.1)
    assert not [t for t in threading.enumerate() if t.name.startswith("camera-")]
    with camera:
        again = camera.latest(timeout=WAIT)
        assert again.sequence < 8
        assert frame_number(again.image) == again.sequence
        assert again.timestamp > first.timestamp
    assert not [t for t in threading.enumerate() if t.name.startswith("camera-")]


# -- source parsing -------------------------------------------------------------------


@given(st.integers(0, MAX_DEVICE_INDEX))
def test_v4l2_index(index: int) -> None:
    source = parse_source(f" {index} ", "v4l2")
    assert source.target == index
    assert source.api == cv2.CAP_V4L2
    assert source.display == f"/dev/video{index}"
    assert source.node == Path(f"/dev/video{index}")


@given(st.integers(MAX_DEVICE_INDEX + 1, 10**6))
def test_v4l2_index_out_of_range(index: int) -> None:
    with pytest.raises(ValueError, match="above"):
        parse_source(str(index), "v4l2")


_WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@given(
    scheme=st.sampled_from(sorted(URL_SCHEMES)),
    host=st.one_of(_WORD, st.builds("{}.{}".format, _WORD, _WORD), st.just("127.0.0.1")),
    port=st.none() | st.integers(1, 65535),
    path=st.lists(_WORD, max_size=3).map(lambda parts: "".join(f"/{p}" for p in parts)),
    user=st.none() | _WORD,
    secret=_WORD.map(lambda word: f"Pw{word}"),
    token=_WORD.map(lambda word: f"Tk{word}"),
)
def test_url_display_keeps_no_credentials(
    scheme: str, host: str, port: int | None, path: str, user: str | None, secret: str, token: str
) -> None:
    assume(secret not in host + path and token not in host + path)
    where = host if port is None else f"{host}:{port}"
    userinfo = "" if user is None else f"{user}:{secret}@"
    url = f"{scheme}://{userinfo}{where}{path}?key={token}"
    source = parse_source(url, "url")
    assert source.target == url  # OpenCV gets it all
    assert source.api == cv2.CAP_FFMPEG
    assert source.display == f"{scheme}://{where}{path}"
    assert secret not in source.display
    assert token not in source.display


@given(text=st.text(), kind=st.sampled_from(["v4l2", "file", "url"]))
def test_parse_source_fails_only_with_value_error(text: str, kind) -> None:
    with contextlib.suppress(ValueError):
        parse_source(text, kind)


@given(
    before=st.text(),
    secret=_WORD.map(lambda word: f"Pw{word}"),
    after=st.text(),
    kind=st.sampled_from(["v4l2", "file", "url"]),
)
def test_errors_never_echo_a_password(before: str, secret: str, after: str, kind) -> None:
    assume(secret not in after)
    try:
        parse_source(f"{before}:{secret}@{after}", kind)
    except ValueError as exc:
        assert secret not in str(exc)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("", "v4l2", "empty"),
        ("video0", "v4l2", "neither a device index"),
        ("dev/video0", "v4l2", "absolute device path"),
        ("http://cam/x", "file", "use kind 'url'"),
        ("ftp://cam/x", "url", "scheme 'ftp'"),
        ("cam.local/stream", "url", "scheme 'none'"),
        ("http:///stream", "url", "no host"),
        ("http://cam:99999/x", "url", "malformed"),
        ("/dev/video0", "usb", "not one of"),
    ],
)
def test_bad_sources(text: str, kind, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_source(text, kind)


def test_good_sources(tmp_path: Path) -> None:
    device = parse_source("/dev/bdmi-camera", "v4l2")
    assert (device.target, device.api, device.node) == (
        "/dev/bdmi-camera",
        cv2.CAP_V4L2,
        Path("/dev/bdmi-camera"),
    )
    clip = parse_source(str(tmp_path / "0"), "file")  # a file named 0 stays a file
    assert (clip.kind, clip.target, clip.api) == ("file", str(tmp_path / "0"), cv2.CAP_FFMPEG)
    home = parse_source("~/clip.mp4", "file")
    assert home.target == os.path.expanduser("~/clip.mp4")
    rtsp = parse_source("rtsp://admin:pw@[fe80::1]:554/h264?channel=1", "url")
    assert rtsp.display == "rtsp://[fe80::1]:554/h264"


# -- orientation: rotation and crop policy -------------------------------------------------


def _analysed(frames: Iterator[np.ndarray]) -> list:
    from kiosk.idv.analysis import FaceAnalyzer

    analyzer = FaceAnalyzer()
    return [analyzer.analyse(image, i / 15.0) for i, image in enumerate(frames)]


def test_a_portrait_clip_fitted_keeps_the_face_in_view() -> None:
    """The portrait blink clip (480x854) on a 640x480 kiosk frame: covering crops it and
    the face fills the frame ("too near"); fitting keeps all of it."""
    from kiosk.idv.quality import QualityIssue

    path = require_shared_data("liveness", "repeating_blink_video.mp4")
    near = {}
    for crop in ("cover", "fit"):
        frames = [f.image for f in read_video_frames(path, (640, 480), crop=crop)]
        assert all(image.shape == (480, 640, 3) for image in frames)
        found = _analysed(iter(frames))
        assert all(a.face is not None for a in found)
        near[crop] = sum(QualityIssue.TOO_NEAR in a.issues for a in found)
    assert near["cover"] > 0  # measured 35 of 334
    assert near["fit"] == 0


def test_a_camera_on_its_side_is_turned_upright() -> None:
    """real.webm as a camera mounted on its side would give it: without the rotation the
    frontal detector finds no face; with ``rotation = 90`` it finds it as usual."""
    from drivers.camera.frames import shape_frame

    path = require_shared_data("liveness", "zubair", "real.webm")
    sideways = [
        cv2.rotate(f.image, cv2.ROTATE_90_COUNTERCLOCKWISE) for f in read_video_frames(path)
    ]
    as_is = _analysed(shape_frame(s, 640, 480, crop="fit") for s in sideways)
    upright = _analysed(shape_frame(s, 640, 480, rotation=90) for s in sideways)
    assert not any(a.face for a in as_is)
    assert sum(a.face is not None for a in upright) >= 0.8 * len(sideways)  # measured 177/199


def test_a_file_camera_applies_rotation_and_crop(tmp_path: Path, camera_closed) -> None:
    """The portrait clip as an upside-down camera gives it (written here as MJPG), through
    a file camera configured ``rotation = 180``, ``crop = "fit"``: the frame is the
    configured size, padded left and right, and the face upright again."""
    source = require_shared_data("liveness", "repeating_blink_video.mp4")
    path = tmp_path / "upside_down.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (480, 854))
    for frame in itertools.islice(read_video_frames(source), 30):
        writer.write(cv2.rotate(frame.image, cv2.ROTATE_180))
    writer.release()
    upside_down = next(read_video_frames(path)).image
    assert not _analysed(iter([cover_resize(upside_down, 640, 480)]))[0].face
    camera = camera_closed(
        OpenCvCamera(str(path), kind="file", width=640, height=480, rotation=180, crop="fit")
    )
    camera.open()
    frame = camera.latest(timeout=WAIT)
    assert frame.image.shape == (480, 640, 3) and camera.resolution == (640, 480)
    # 480x854 fitted into 480 rows is 270 wide: 185 columns of padding on each side
    for pad in (frame.image[:, :180], frame.image[:, -180:]):
        assert (pad == pad[0, 0]).all()
    # upside down as given, upright once rotated by the camera
    assert _analysed(iter([frame.image]))[0].face is not None


@pytest.mark.parametrize(("rotation", "crop"), [(45, "cover"), (90, "stretch"), (-90, "fit")])
def test_unsupported_orientation_settings_are_refused(rotation: int, crop: str) -> None:
    from drivers.camera.frames import shape_frame

    with pytest.raises(ValueError, match="not supported"):
        OpenCvCamera("/dev/video0", kind="v4l2", rotation=rotation, crop=crop)
    with pytest.raises(ValueError, match="camera"):
        shape_frame(np.zeros((48, 64, 3), np.uint8), 64, 48, rotation=rotation, crop=crop)
