"""Benchmark: per-frame cost of the liveness step and of the descriptor, against the
``face_recognition`` library on the same 640x480 frames, in the same run.

The liveness step is what the kiosk pays on every frame: ``FaceAnalyzer.analyse`` (grey
conversion, HOG detection on a halved frame every 5th frame and landmark-following in
between, 68 landmarks, solvePnP, the quality measures). The descriptor is paid a few
times per session. The baseline is the usual face_recognition loop: ``face_locations``
(HOG, one upsampling) + ``face_landmarks`` + ``face_encodings`` on every frame, plus the
same without the encodings (what a naive liveness loop pays).

Frames: the three shared liveness clips, cover-resized to 640x480. Timings interleave
ours and the baseline clip by clip, so that machine noise hits both; the ratios are the
result, the milliseconds are for this machine only.

    make bench            # installs face_recognition --no-deps (baseline only), runs this
    .venv/bin/python -m bench.face_pipeline [--baseline-every 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from drivers.camera.frames import cover_resize  # noqa: E402
from kiosk.idv.analysis import FaceAnalyzer  # noqa: E402
from kiosk.idv.embedding import DlibResNetEmbedder  # noqa: E402
from tests.drivers.shared_data import shared_data_dir  # noqa: E402

CLIPS = (
    "liveness/repeating_blink_video.mp4",
    "liveness/zubair/real.webm",
    "liveness/zubair/fake_phone_replay.webm",
)


def load_frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(cover_resize(image, 640, 480))
    capture.release()
    return frames


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "frames": len(samples_ms),
        "mean_ms": round(statistics.fmean(samples_ms), 3),
        "median_ms": round(statistics.median(samples_ms), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline-every", type=int, default=2, help="run the (slow) baseline on every Nth frame"
    )
    parser.add_argument("--descriptors", type=int, default=30, help="descriptor samples")
    args = parser.parse_args()
    data = shared_data_dir()
    if data is None:
        print(json.dumps({"skipped": "shared data set not found (set BDMI_SHARED_DATA)"}))
        return 0
    try:
        import face_recognition
    except ImportError:
        print(
            json.dumps(
                {
                    "error": "the baseline library face_recognition is not installed; "
                    "`make bench` installs it with --no-deps"
                }
            )
        )
        return 2

    embedder = DlibResNetEmbedder()
    ours_step: list[float] = []
    ours_descriptor: list[float] = []
    base_full: list[float] = []
    base_liveness: list[float] = []
    detections = 0
    per_clip = {}
    for clip in CLIPS:
        frames = load_frames(data / clip)
        analyzer = FaceAnalyzer()
        clip_step: list[float] = []
        boxes = []
        for image in frames:
            start = time.perf_counter()
            analysis = analyzer.analyse(image, 0.0)
            clip_step.append((time.perf_counter() - start) * 1000)
            if analysis.face is not None:
                detections += analysis.face.detected
                boxes.append((image, analysis.face.box))
        ours_step += clip_step
        step = max(1, len(boxes) // max(1, args.descriptors // len(CLIPS)))
        for image, box in boxes[::step]:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            start = time.perf_counter()
            embedder.embed(rgb, box)
            ours_descriptor.append((time.perf_counter() - start) * 1000)
        clip_full: list[float] = []
        for image in frames[:: args.baseline_every]:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            start = time.perf_counter()
            locations = face_recognition.face_locations(rgb)
            face_recognition.face_landmarks(rgb, locations)
            middle = time.perf_counter()
            face_recognition.face_encodings(rgb, locations)
            end = time.perf_counter()
            base_liveness.append((middle - start) * 1000)
            clip_full.append((end - start) * 1000)
        base_full += clip_full
        per_clip[clip] = {
            "frames": len(frames),
            "ours_liveness_step_mean_ms": round(statistics.fmean(clip_step), 3),
            "baseline_full_mean_ms": round(statistics.fmean(clip_full), 3),
        }

    ours = statistics.fmean(ours_step)
    report = {
        "machine": {"cpus": os.cpu_count(), "opencv_threads": cv2.getNumThreads()},
        "frame_size": [640, 480],
        "ours": {
            "liveness_step": summary(ours_step),
            "detector_ran_on_frames": detections,
            "descriptor": summary(ours_descriptor),
        },
        "baseline_face_recognition": {
            "locations_landmarks_encodings": summary(base_full),
            "locations_landmarks": summary(base_liveness),
        },
        "ratios": {
            "baseline_full_over_our_liveness_step": round(statistics.fmean(base_full) / ours, 2),
            "baseline_locations_landmarks_over_our_liveness_step": round(
                statistics.fmean(base_liveness) / ours, 2
            ),
            "our_descriptor_over_our_liveness_step": round(
                statistics.fmean(ours_descriptor) / ours, 2
            ),
        },
        "per_clip": per_clip,
        "targets": {
            "liveness_step_at_least_5x_cheaper": statistics.fmean(base_full) / ours >= 5,
            "liveness_step_at_most_10_ms": ours <= 10.0,
        },
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
