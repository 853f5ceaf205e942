"""``kioskctl face``: the face pipeline on files, for technicians and for calibration.

* ``compare IMG1 IMG2``: descriptor distance, the thresholds in force and the three-zone
  outcome (accept / refer to staff / reject). Exit 0 accept, 1 refer or reject.
* ``liveness VIDEO``: what the detectors see over a clip: blinks and head turns with their
  times, nods, mouth openings, the yaw range, and quality rejections per reason. With
  ``--challenges blink,turn_left`` it also runs a liveness session with that order (the
  waits before the prompts drawn at random, as the kiosk draws them), as if
  those prompts had been shown, and prints its report. A still image is presented as a
  hand-held print would be (held for ``--still-seconds``, with a slight wobble), which is
  what a print attack looks like to the camera.
* ``calibrate DIR``: thresholds from a site's own labelled photos (one folder per person),
  chosen by the shipped rule, with their confidence intervals, written as a site
  calibration file (``kiosk/idv/site_calibration.py``). One looser than the shipped
  false-accept bound is refused (exit 1, ``IDV_CALIBRATION_LOOSER``) unless ``--force``d by
  a technician, and every calibration written with ``--config`` is in the audit log.

Images never leave the machine, and nothing here prints a descriptor.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import time
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
MAX_PEOPLE = 1000
MAX_IMAGES = 5000
MAX_PER_PERSON = 20
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_SIDE = 1000
_TECHNICIAN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


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

    calibrate = actions.add_parser(
        "calibrate",
        help="site thresholds from labelled photos, one folder per person (exit 1 if refused)",
    )
    calibrate.add_argument("folder", help="one subfolder of photos per person")
    calibrate.add_argument(
        "--out", help="site calibration file to write (default <state_dir>/site_calibration.json)"
    )
    calibrate.add_argument("--config", help="kiosk config: its store gets the audit entry")
    calibrate.add_argument(
        "--force", action="store_true", help="write it even if looser than the shipped bound"
    )
    calibrate.add_argument("--technician", metavar="ID", help="who calibrates (audit log)")
    calibrate.add_argument("--max-per-person", type=int, default=MAX_PER_PERSON)
    calibrate.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates")
    calibrate.add_argument("--json", action="store_true", help="machine-readable output")
    calibrate.set_defaults(handler=_calibrate)


def _fail(as_json: bool, error: IdvError, code: int = EXIT_BAD) -> int:
    emit(as_json, {"error": {"reason": error.reason, "message": str(error)}}, [str(error)])
    return code


# -- compare ------------------------------------------------------------------------------


def _compare(args: argparse.Namespace) -> int:
    from kiosk.idv.embedding import DlibResNetEmbedder, embed_photo, load_rgb
    from kiosk.idv.matching import MatchMode, MatchZone, match, thresholds_for
    from kiosk.idv.site_calibration import SiteCalibration
    from kiosk.idv.site_calibration import load as load_site_calibration

    accept_max = refer_max = None
    site_file = None
    if args.config:
        config, issues = check_config(args.config)
        if config is None:
            for issue in issues:
                print(issue.format(args.config), file=sys.stderr)
            return EXIT_USAGE
        accept_max = config.idv.match.accept_max_distance
        refer_max = config.idv.match.refer_max_distance
        site_file = config.idv.match.site_calibration
    try:
        embedder = DlibResNetEmbedder()
        site: SiteCalibration | None = None
        if site_file is not None:
            site = load_site_calibration(site_file, embedder.name)
        thresholds = thresholds_for(
            embedder.name, MatchMode.SINGLE, accept_max=accept_max, refer_max=refer_max,
            site=site,
        )  # fmt: skip
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
        if not session["passed"] and session["reason"] is None:
            verdict = "NOT PASSED (the clip ended before the last answer)"
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


# -- calibrate ----------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, reason: str, message: str, code: int = EXIT_BAD) -> None:
        super().__init__(message)
        self.reason, self.code = reason, code


def _site_photos(root: Path, max_per_person: int) -> dict[str, list[Path]]:
    """Person folder -> its first ``max_per_person`` image files by name (bounded input)."""
    if not root.is_dir():
        raise _Refused("IDV_CALIBRATION_NO_FOLDER", f"{root}: not a folder")
    people: dict[str, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )[:max_per_person]
        if files:
            people[folder.name] = files
        if len(people) > MAX_PEOPLE or sum(map(len, people.values())) > MAX_IMAGES:
            raise _Refused(
                "IDV_CALIBRATION_TOO_LARGE",
                f"{root}: over {MAX_PEOPLE} people or {MAX_IMAGES} photos; take a subset",
            )
    if len(people) < 2:
        raise _Refused(
            "IDV_CALIBRATION_TOO_FEW_PEOPLE",
            f"{root}: {len(people)} person folder(s) with images; impostor pairs need at "
            "least two people (more than 20 to mean anything)",
        )
    return people


def _embed_site(people: dict[str, list[Path]], root: Path) -> tuple[dict[str, list[Any]], int]:
    """Embeddings per person and how many images had no face. An unreadable image stops
    the run: a calibration silently made on fewer photos than the site collected is worse
    than none."""
    from kiosk.idv.embedding import DlibResNetEmbedder, embed_photo, load_rgb

    embedder = DlibResNetEmbedder()
    found: dict[str, list[Any]] = {}
    no_face = 0
    for person, files in people.items():
        for path in files:
            name = path.relative_to(root)
            if path.stat().st_size > MAX_IMAGE_BYTES:
                raise _Refused("IDV_IMAGE_UNREADABLE", f"{name}: over 20 MB")
            try:
                rgb = load_rgb(path)
                height, width = rgb.shape[:2]
                scale = MAX_SIDE / max(height, width)
                if scale < 1:
                    size = (max(1, round(width * scale)), max(1, round(height * scale)))
                    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
                face = embed_photo(embedder, rgb)
            except IdvError as exc:
                if exc.reason != "IDV_NO_FACE":
                    raise _Refused(exc.reason, f"{name}: {exc.reason.lower()}") from None
                no_face += 1
                continue
            found.setdefault(person, []).append(face.embedding)
    if not found:
        raise _Refused("IDV_CALIBRATION_NO_FACES", f"{root}: no face found in any image")
    if len(found) < 2:
        raise _Refused(
            "IDV_CALIBRATION_TOO_FEW_PEOPLE",
            f"{root}: faces were found for only one person; impostor pairs need two",
        )
    return found, no_face


def _calibrate(args: argparse.Namespace) -> int:
    try:
        return _run_calibrate(args)
    except _Refused as exc:
        emit(
            args.json,
            {"error": {"reason": exc.reason, "message": str(exc)}},
            [f"kioskctl face calibrate: {exc.reason}: {exc}"],
        )
        return exc.code


def _run_calibrate(args: argparse.Namespace) -> int:
    from kiosk.idv import site_calibration

    if not 2 <= args.max_per_person <= 100 or not 100 <= args.replicates <= 10_000:
        raise _Refused("", "--max-per-person takes 2-100, --replicates 100-10000", EXIT_USAGE)
    if args.force and not (args.config and args.technician):
        raise _Refused(
            "IDV_CALIBRATION_FORCE_UNAUDITED",
            "--force needs --config (its store gets the audit entry) and --technician ID",
            EXIT_USAGE,
        )
    if args.technician and not _TECHNICIAN.match(args.technician):
        raise _Refused("", "--technician takes your technician id, not a name", EXIT_USAGE)
    config = None
    if args.config:
        config, issues = check_config(args.config)
        if config is None or any(i.severity == "error" for i in issues):
            first = issues[0].reason if issues else "CFG_INVALID_VALUE"
            raise _Refused(first, f"configuration {args.config} invalid", EXIT_USAGE)
    if args.out:
        out = Path(args.out)
    elif config is not None:
        out = config.device.state_dir / "site_calibration.json"
    else:
        raise _Refused("", "give --out FILE, or --config to write into its state_dir", EXIT_USAGE)
    root = Path(args.folder)
    people = _site_photos(root, args.max_per_person)
    found, no_face = _embed_site(people, root)
    try:
        document = site_calibration.calibrate(
            found, model="dlib_resnet_v1", replicates=args.replicates
        )
    except IdvError as exc:
        raise _Refused(exc.reason, str(exc.args[0])) from None
    except ValueError as exc:  # a set so small that no resampling has two people in it
        raise _Refused("IDV_CALIBRATION_TOO_FEW_PEOPLE", f"{root}: {exc}") from None
    document["images_without_face"] = no_face
    looser = document["looser_than_shipped"]
    if looser and not args.force:
        refusal = (
            f"IDV_CALIBRATION_LOOSER: looser than the shipped false-accept bound for "
            f"{', '.join(looser)}; nothing written (collect more people, or --force)"
        )
        report = {**document, "written": None, "error": {"reason": "IDV_CALIBRATION_LOOSER"}}
        emit(args.json, report, [*_calibration_lines(document), refusal])
        return EXIT_BAD
    document["forced"] = bool(looser) and args.force
    text = json.dumps(document, indent=2) + "\n"
    audit_seq = None
    if config is not None:
        audit_seq = _audit_calibration(config, args.technician, document, text)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    report = {**document, "written": str(out), "audit_seq": audit_seq}
    lines = [*_calibration_lines(document), f"written to {out}"]
    if document["forced"]:
        lines.append(f"FORCED although looser for {', '.join(looser)} (audit entry {audit_seq})")
    emit(args.json, report, lines)
    return EXIT_OK


def _audit_calibration(config: Any, technician: str | None, document: dict[str, Any],
                       text: str) -> int:  # fmt: skip
    """One audit entry per calibration written for a kiosk: counts and thresholds only
    (micro-units: the audit detail takes no floats), never a person's name."""
    from kiosk.store import audit
    from kiosk.store.database import open_from_config
    from kiosk.store.errors import StoreError

    points = document["operating_points"]
    detail = {
        "forced": document["forced"],
        "looser_modes": list(document["looser_than_shipped"]),
        "people": document["people"],
        "images": document["images"],
        "accept_max_u": {mode: round(p["accept_max"] * 1e6) for mode, p in points.items()},
        "far_upper95_u": {mode: round(p["far_upper95"] * 1e6) for mode, p in points.items()},
    }
    try:
        db = open_from_config(config, create=True)
        try:
            head = audit.append(
                db,
                at_ms=int(time.time() * 1000),
                actor_kind="technician" if technician else "system",
                actor_id=technician or "kioskctl",
                action="site_calibration_forced" if document["forced"] else "site_calibration",
                record_kind="site_calibration",
                record_id=hashlib.sha256(text.encode()).hexdigest(),
                detail=detail,
            )
        finally:
            db.close()
    except StoreError as exc:
        raise _Refused(exc.reason, f"{exc.args[0]}; nothing written", EXIT_BAD) from None
    return head.seq


def _calibration_lines(document: dict[str, Any]) -> list[str]:
    lines = [
        f"{document['people']} people, {document['images']} images with a face "
        f"({document.get('images_without_face', 0)} without); target FAR "
        f"{document['target_far']:.2%}, bound {document['far_bound']:.2%}"
    ]
    for mode, p in document["operating_points"].items():
        far, frr = p["far"], p["frr"]
        lines.append(
            f"  {mode}: accept <= {p['accept_max']} (refer <= {p['refer_max']}); FAR "
            f"{far['errors']}/{far['of']}, 95% upper bound {p['far_upper95']:.3%}; FRR "
            f"{frr['rate']:.1%} (95% CI {frr['ci95_identity_bootstrap'][0]:.1%}-"
            f"{frr['ci95_identity_bootstrap'][1]:.1%})"
        )
    for mode, why in document["modes_not_measured"].items():
        lines.append(f"  {mode}: not measured ({why}); the shipped threshold applies")
    return lines
