"""``kioskctl face``: the face pipeline on files, for technicians and for calibration.

* ``compare IMG1 IMG2``: descriptor distance, the thresholds in force and the three-zone
  outcome (accept / refer to staff / reject). Exit 0 accept, 1 refer or reject.
* ``liveness VIDEO``: what the detectors see over a clip: blinks and head turns with their
  times, nods, mouth openings, the yaw range, and quality rejections per reason. With
  ``--challenges blink,turn_left`` it also runs a liveness session with that order, as if
  those prompts had been shown, and prints its report. A still image is presented as a
  hand-held print would be (held for ``--still-seconds``, with a slight wobble), which is
  what a print attack looks like to the camera.

Images never leave the machine, and nothing here prints a descriptor.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.cli.output import EXIT_BAD, EXIT_OK, EXIT_USAGE, emit
from kiosk.config import check_config
from kiosk.idv.errors import IdvError
from kiosk.idv.gestures import Gesture

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".jp2", ".tif", ".tiff"}


def register(subparsers: argparse._SubParsersAction) -> None:
    face = subparsers.add_parser(
        "face", help="compare faces, run the liveness detectors over a clip"
    )
    actions = face.add_subparsers(dest="action", required=True, metavar="ACTION")

    compare = actions.add_parser(
        "compare", help="distance and decision for two face images (exit 0 accept, 1 not)"
    )
    compare.add_argument("image1")
    compare.add_argument("image2")
    compare.add_argument("--config", help="kiosk config whose [idv.match] overrides apply")
    compare.add_argument("--json", action="store_true", help="machine-readable output")
    compare.set_defaults(handler=_compare)

    liveness = actions.add_parser(
        "liveness", help="gestures, head pose and quality over a video clip (or a still)"
    )
    liveness.add_argument("video", help="video file, or an image presented as a still")
    liveness.add_argument("--size", default="640x480", help="frame size analysed (WxH)")
    liveness.add_argument(
        "--challenges",
        help="comma-separated challenge order to judge the clip against, e.g. "
        "blink,turn_left (gestures: " + ", ".join(g.value for g in Gesture) + ")",
    )
    liveness.add_argument("--still-seconds", type=float, default=8.0)
    liveness.add_argument("--json", action="store_true", help="machine-readable output")
    liveness.set_defaults(handler=_liveness)


def _fail(as_json: bool, error: IdvError, code: int = EXIT_BAD) -> int:
    emit(as_json, {"error": {"reason": error.reason, "message": str(error)}}, [str(error)])
    return code


# -- compare ------------------------------------------------------------------------------


def _compare(args: argparse.Namespace) -> int:
    from kiosk.idv.embedding import DlibResNetEmbedder, embed_photo, load_rgb
    from kiosk.idv.matching import MatchMode, MatchZone, match, thresholds_for

    accept_max = refer_max = None
    if args.config:
        config, issues = check_config(args.config)
        if config is None:
            for issue in issues:
                print(issue.format(args.config), file=sys.stderr)
            return EXIT_USAGE
        accept_max = config.idv.match.accept_max_distance
        refer_max = config.idv.match.refer_max_distance
    try:
        embedder = DlibResNetEmbedder()
        thresholds = thresholds_for(
            embedder.name, MatchMode.SINGLE, accept_max=accept_max, refer_max=refer_max
        )
        faces = []
        for name in (args.image1, args.image2):
            try:
                faces.append(embed_photo(embedder, load_rgb(Path(name))))
            except IdvError as exc:
                if name in exc.args[0]:
                    raise
                raise IdvError(f"{name}: {exc.args[0]}", reason=exc.reason) from exc
    except IdvError as exc:
        return _fail(args.json, exc)
    result = match(faces[0].embedding, faces[1].embedding, thresholds)
    decision = {MatchZone.ACCEPT: "same person", MatchZone.REFER: "refer to staff"}.get(
        result.zone, "different people"
    )
    report: dict[str, Any] = {
        "image1": args.image1,
        "image2": args.image2,
        "faces_found": [f.faces_found for f in faces],
        **result.as_dict(),
        "decision": decision,
    }
    lines = [
        f"distance {result.distance:.4f} ({thresholds.model}; accept <= "
        f"{thresholds.accept_max}, refer <= {thresholds.refer_max})",
        f"{result.zone.value}: {decision} [{result.reason}]",
    ]
    if any(f.faces_found > 1 for f in faces):
        lines.append("note: several faces in an image; the largest was used")
    emit(args.json, report, lines)
    return EXIT_OK if result.zone is MatchZone.ACCEPT else EXIT_BAD


# -- liveness -----------------------------------------------------------------------------


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--size wants WxH, got {text!r}") from exc
    if not (160 <= width <= 3840 and 120 <= height <= 2160):
        raise argparse.ArgumentTypeError(f"--size {text} is out of range")
    return width, height


def still_frames(
    image: np.ndarray, seconds: float, fps: float = 15.0
) -> Iterator[tuple[np.ndarray, float]]:
    """A still held up to the camera by hand: a slow wobble of a degree or two and a few
    pixels, so the tracker and the pose see what a print attack shows them."""
    height, width = image.shape[:2]
    for index in range(int(seconds * fps)):
        t = index / fps
        angle = 1.5 * math.sin(2 * math.pi * 0.4 * t)
        shift = 3.0 * math.sin(2 * math.pi * 0.25 * t)
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        matrix[:, 2] += (shift, shift / 2)
        yield cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE), t


def clip_frames(
    path: Path, size: tuple[int, int], still_seconds: float
) -> Iterator[tuple[np.ndarray, float]]:
    from drivers.camera.frames import cover_resize

    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise IdvError(f"{path}: not an image OpenCV can decode", reason="IDV_IMAGE_UNREADABLE")
        yield from still_frames(cover_resize(image, *size), still_seconds)
        return
    from drivers.camera.opencv_camera import read_video_frames
    from drivers.errors import CameraUnavailable

    try:
        for frame in read_video_frames(str(path), size=size):
            yield frame.image, frame.timestamp
    except CameraUnavailable as exc:
        raise IdvError(f"{path}: {exc.args[0]}", reason="IDV_VIDEO_UNREADABLE") from exc


def _liveness(args: argparse.Namespace) -> int:
    from kiosk.idv.analysis import FaceAnalyzer
    from kiosk.idv.gestures import GestureDetector

    try:
        size = _size(args.size)
        order = _parse_order(args.challenges) if args.challenges else None
    except (argparse.ArgumentTypeError, ValueError) as exc:
        print(f"kioskctl face liveness: {exc}", file=sys.stderr)
        return EXIT_USAGE
    path = Path(args.video)
    if not path.is_file():
        return _fail(args.json, IdvError(f"{path}: no such file", reason="IDV_VIDEO_UNREADABLE"))
    analyzer, detector = FaceAnalyzer(), GestureDetector()
    session = _session(order) if order else None
    rejections: Counter[str] = Counter()
    events: list[dict[str, Any]] = []
    yaws: list[float] = []
    frames = with_face = 0
    progress = _Progress(path.name)
    try:
        for image, t in clip_frames(path, size, args.still_seconds):
            frames += 1
            progress.tick(frames, t)
            frame = analyzer.analyse(image, t)
            rejections.update(issue.value for issue in frame.issues)
            if frame.measures is not None:
                with_face += 1
                yaws.append(frame.measures.pose.yaw)
            for event in detector.update(t, frame.measures):
                events.append(
                    {
                        "gesture": event.gesture.value,
                        "at": round(event.start, 3),
                        "magnitude": event.magnitude,
                    }
                )
            if session is not None and not session.done:
                session.feed(image, t)
    except IdvError as exc:
        progress.done()
        return _fail(args.json, exc)
    progress.done()
    if frames == 0:
        return _fail(args.json, IdvError(f"{path}: no frames", reason="IDV_VIDEO_UNREADABLE"))
    report = _liveness_report(path, size, frames, with_face, events, yaws, rejections, detector)
    if session is not None:
        report["challenge_session"] = session.report().as_dict()
        report["challenge_session"]["order"] = [g.value for g in order or []]
    emit(args.json, report, _liveness_lines(report))
    passed = report.get("challenge_session", {}).get("passed", True)
    return EXIT_OK if passed else EXIT_BAD


def _parse_order(text: str) -> list[Gesture]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    try:
        order = [Gesture(n) for n in names]
    except ValueError as exc:
        raise ValueError(f"--challenges: {exc}") from exc
    if len(set(order)) != len(order) or not order:
        raise ValueError("--challenges: give each gesture at most once")
    return order


def _session(order: list[Gesture]) -> Any:
    from kiosk.idv.embedding import DlibResNetEmbedder
    from kiosk.idv.face_session import FaceVerificationSession

    return FaceVerificationSession(DlibResNetEmbedder(), order)


def _liveness_report(
    path: Path,
    size: tuple[int, int],
    frames: int,
    with_face: int,
    events: list[dict[str, Any]],
    yaws: list[float],
    rejections: Counter[str],
    detector: Any,
) -> dict[str, Any]:
    by_kind: dict[str, list[float]] = {g.value: [] for g in Gesture}
    for event in events:
        by_kind[event["gesture"]].append(event["at"])
    baseline = detector.baseline
    return {
        "file": str(path),
        "frame_size": list(size),
        "frames": frames,
        "frames_with_face": with_face,
        "baseline": None
        if baseline is None
        else {
            "ear": round(baseline.ear, 3),
            "mar": round(baseline.mar, 3),
            "yaw": round(baseline.yaw, 1),
            "pitch": round(baseline.pitch, 1),
        },
        "blinks": by_kind["blink"],
        "turns_left": by_kind["turn_left"],
        "turns_right": by_kind["turn_right"],
        "nods": by_kind["nod"],
        "mouth_openings": by_kind["open_mouth"],
        "yaw_range": [round(min(yaws), 1), round(max(yaws), 1)] if yaws else None,
        "quality_rejections": dict(sorted(rejections.items())),
        "events": events,
    }


def _liveness_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        f"{report['file']}: {report['frames']} frames, face in {report['frames_with_face']}",
        f"blinks at {report['blinks']}",
        f"turns left at {report['turns_left']}, right at {report['turns_right']}",
        f"nods at {report['nods']}; mouth openings: {len(report['mouth_openings'])}",
        f"yaw range {report['yaw_range']} degrees",
        "quality rejections: "
        + (", ".join(f"{k} {v}" for k, v in report["quality_rejections"].items()) or "none"),
    ]
    session = report.get("challenge_session")
    if session:
        verdict = "PASSED" if session["passed"] else f"FAILED [{session['reason']}]"
        lines.append(f"challenges {session['order']}: {verdict}")
        for c in session["challenges"]:
            seen = ", ".join(f"{s['gesture']}@{s['at']}" for s in c["seen"]) or "nothing"
            lines.append(
                f"  {c['challenge']}: shown at {c['issued_at']}, done at {c['completed_at']}; "
                f"seen {seen}"
            )
    return lines


class _Progress:
    """Frames analysed, on stderr, only when a person is watching (a terminal)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.active = sys.stderr.isatty()

    def tick(self, frames: int, t: float) -> None:
        if self.active and frames % 15 == 0:
            print(f"\r{self.name}: {frames} frames, {t:5.1f} s", end="", file=sys.stderr)

    def done(self) -> None:
        if self.active:
            print(file=sys.stderr)
