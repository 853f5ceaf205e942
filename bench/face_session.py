"""Benchmark: whole hospital check-ins on the simulated subject, with the kiosk held to
100%, 50% and 25% of one CPU core.

What it answers: does a genuine person pass on a slow kiosk CPU (issue 15)? Each session
goes through the real ``FlowRunner`` and ``VerificationFlow``: the ID card on the SAM
simulator over a pty, the simulated subject on the camera (a person's timing in wall
time: answers 0.3-1.5 s after the prompt, blinks of 100-400 ms), real dlib, the real
encrypted store. The owner loop here plays the UI: it applies the jobs' events as they
come and ticks the flow.

How the share is held: the worker process is pinned with ``taskset`` to one core, and
0, 1 or 3 busy processes are pinned beside it on that core, so the scheduler gives it
about 100%, 50% or 25% of the core (less if something else runs there: the anchor
below shows what it really got).

Anchor, in the same run and the same process, interleaved after every session: the raw
library doing a liveness frame's work the plain way (dlib's HOG detector on the whole
640x480 grey frame plus the 68-point predictor): ``raw_dlib_frames_per_s``. The kiosk's
``frames_analysed_per_s`` is to be read against it: both suffer the same share.

Per share it prints: the genuine pass rate, the reasons of the failures, the median and
p95 time from the frame that completed the last challenge to the flow's decision, the
frames analysed per second during the face step, when the answers began after their
prompts (against the liveness answer window: the margin a slow CPU leaves), and the
anchor.

    .venv/bin/python -m bench.face_session [--sessions 20] [--shares 100,50,25] [--core 0]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

if TYPE_CHECKING:
    import numpy as np

    from kiosk.config.schema import KioskConfig

BUSY = "while True: pass"
BUSY_PROCESSES = {100: 0, 50: 1, 25: 3}
ANCHOR = (
    "anchor: raw dlib (HOG detector on the whole 640x480 grey frame + 68-point predictor), "
    "timed in the same worker, interleaved after each session: raw_dlib_frames_per_s"
)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


# -- the worker: runs inside the pinned process ------------------------------------------------


@dataclass
class SessionLog:
    """What the owner loop saw of one session's face step."""

    frames: int = 0
    first_frame_at: float | None = None
    last_frame_at: float | None = None
    finished: object | None = None
    decided_at: float | None = None
    events: list[str] = field(default_factory=list)


def _config(tmp: Path) -> KioskConfig:
    from kiosk.config import load_config

    path = tmp / "bench.toml"
    path.write_text(
        f'[device]\nsite = "bench"\nmode = "demo"\nstate_dir = "{tmp / "state"}"\n'
        '[readers.sam]\nkind = "simulated"\n[camera]\nkind = "simulated_subject"\n'
        "[sync]\nenabled = false\n",
        encoding="utf-8",
    )
    return load_config(path)


def _raw_dlib_rate(frames: list[np.ndarray], seconds: float = 1.0) -> float:
    """Frames per second of the plain detector + predictor loop on ``frames``."""
    import cv2
    import dlib

    from kiosk.idv.models import frontal_face_detector, shape_predictor

    detector, predictor = frontal_face_detector(), shape_predictor(None, points=68)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        grey = cv2.cvtColor(frames[done % len(frames)], cv2.COLOR_BGR2GRAY)
        for rect in detector(grey, 0)[:1]:
            predictor(grey, dlib.rectangle(rect.left(), rect.top(), rect.right(), rect.bottom()))
        done += 1
    return done / (time.perf_counter() - started)


def run_worker(sessions: int, seed: int) -> dict[str, object]:
    from kiosk.flows.messages import FaceFinished, FaceUpdate
    from kiosk.flows.verification import Step
    from kiosk.idv.decision import Decision
    from kiosk.idv.embedding import DlibResNetEmbedder
    from kiosk.shell.factory import hospital_checkin
    from kiosk.shell.runner import FlowRunner

    embedder = DlibResNetEmbedder()
    passes, reasons = 0, {}
    to_decision_ms: list[float] = []
    rates: list[float] = []
    anchors: list[float] = []
    replaced = 0
    answer_begun_s: list[float] = []
    failed_reports: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp))
        flow = hospital_checkin(config, rng=random.Random(seed))
        with FlowRunner(config, flow, embedder) as runner:
            camera = runner.simulators["camera"]
            camera.prepare()  # type: ignore[attr-defined]
            sample = [camera.render(a, 1.0) for a in (None, "turn_left", "nod")]  # type: ignore[attr-defined]
            for _ in range(sessions):
                log = SessionLog()
                runner.tap("start")
                last_tick = time.monotonic()
                deadline = last_tick + 120.0
                while runner.flow.step is not Step.RESULT and time.monotonic() < deadline:
                    with contextlib.suppress(queue.Empty):
                        event = runner.events.get(timeout=0.05)
                        if isinstance(event, FaceUpdate):
                            now = time.monotonic()
                            log.frames += 1
                            log.first_frame_at = log.first_frame_at or now
                            log.last_frame_at = now
                        runner.handle(event)
                        if isinstance(event, FaceFinished):
                            log.finished, log.decided_at = event, time.monotonic()
                    if time.monotonic() - last_tick >= 0.1:
                        runner.tick()
                        last_tick = time.monotonic()
                view = runner.flow.view()
                report = log.finished.liveness if isinstance(log.finished, FaceFinished) else None
                if view.decision is Decision.PASS:
                    passes += 1
                else:
                    if report is not None:
                        failed_reports.append(report.as_dict())
                    why = (view.reasons[0] if view.reasons else None) or view.error or "stuck"
                    reasons[why] = reasons.get(why, 0) + 1
                if report is not None and report.passed and log.decided_at is not None:
                    last = report.challenges[-1].completed_at
                    if last is not None:
                        to_decision_ms.append((log.decided_at - last) * 1000.0)
                    replaced += sum(1 for c in report.challenges if c.replaced is not None)
                    for c in report.challenges:
                        begun = [at for g, at in c.seen if g == c.challenge.value]
                        if begun and c.issued_at is not None:
                            answer_begun_s.append(begun[-1] - c.issued_at)
                if log.frames > 1 and log.last_frame_at and log.first_frame_at:
                    span = log.last_frame_at - log.first_frame_at
                    if span > 0:
                        rates.append((log.frames - 1) / span)
                if runner.flow.step is Step.RESULT:
                    runner.tap("done")
                anchors.append(_raw_dlib_rate(sample))
    return {
        "sessions": sessions,
        "passed": passes,
        "pass_rate": round(passes / sessions, 3),
        "failures": reasons,
        "last_challenge_to_decision_ms": {
            "median": round(statistics.median(to_decision_ms), 1) if to_decision_ms else None,
            "p95": round(percentile(to_decision_ms, 0.95), 1) if to_decision_ms else None,
            "n": len(to_decision_ms),
        },
        "frames_analysed_per_s": {
            "median": round(statistics.median(rates), 2) if rates else None,
            "min": round(min(rates), 2) if rates else None,
        },
        "blinks_replaced_by_a_held_gesture": replaced,
        "answer_begun_after_prompt_s": {
            "median": round(statistics.median(answer_begun_s), 2) if answer_begun_s else None,
            "p95": round(percentile(answer_begun_s, 0.95), 2) if answer_begun_s else None,
            "max": round(max(answer_begun_s), 2) if answer_begun_s else None,
            "window": config.idv.liveness.answer_window_s,
        },
        "raw_dlib_frames_per_s": round(statistics.median(anchors), 2) if anchors else None,
        "failed_liveness_reports": failed_reports,
    }


# -- the driver: holds the share, starts the worker ---------------------------------------------


def run_share(share: int, sessions: int, core: int, seed: int) -> dict[str, object]:
    pin = ["taskset", "-c", str(core)]
    busy = [
        subprocess.Popen([*pin, sys.executable, "-c", BUSY]) for _ in range(BUSY_PROCESSES[share])
    ]
    try:
        worker = subprocess.run(
            [*pin, sys.executable, "-m", "bench.face_session", "--worker",
             "--sessions", str(sessions), "--seed", str(seed)],
            cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        for process in busy:
            process.kill()
            process.wait()
    if worker.returncode != 0:
        return {"share_of_core": share, "error": worker.stderr[-2000:]}
    result = json.loads(worker.stdout.strip().splitlines()[-1])
    return {"share_of_core": share, "busy_processes_on_core": len(busy), **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--shares", default="100,50,25")
    parser.add_argument("--core", type=int, default=0)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        print(json.dumps(run_worker(args.sessions, args.seed)))
        return
    print(ANCHOR, flush=True)
    print(f"cpu: taskset -c {args.core}, busy processes on that core per share "
          f"{BUSY_PROCESSES}", flush=True)  # fmt: skip
    results = []
    for share in (int(s) for s in args.shares.split(",")):
        result = run_share(share, args.sessions, args.core, args.seed)
        print(json.dumps(result), flush=True)
        results.append(result)
    print(json.dumps({"bench": "face_session", "results": results}, indent=2))


if __name__ == "__main__":
    main()
