"""Benchmark: the touch application's cold start and its memory after one full check-in.

Each measurement runs in a fresh Python process on a private Xvfb, so nothing is warm:

* ``baseline``: PySide6 starts, loads an empty QML window and renders its first frame. What
  any Qt Quick application pays on this machine.
* ``kiosk``: ``KioskUi`` as ``bdmi-kiosk`` builds it, to the first rendered welcome frame
  (``to_welcome_s``, the figure a patient sees), then to "devices ready" (readers, camera,
  face models, store open on a worker thread: the Start button's wait), then one full
  hospital check-in on the simulated devices, and the resident memory after it.

Prints JSON with ``welcome_ratio`` = kiosk to_welcome / baseline first frame, and the RSS of
both processes.

    .venv/bin/python -m bench.ui_start
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

EMPTY_QML = (
    b"import QtQuick\nimport QtQuick.Window\nWindow { width: 1280; height: 800; visible: true }\n"
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_baseline() -> dict[str, float]:
    began = time.perf_counter()
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtQml import QQmlApplicationEngine

    app = QGuiApplication(["bench"])
    engine = QQmlApplicationEngine()
    with tempfile.NamedTemporaryFile(suffix=".qml") as qml:
        qml.write(EMPTY_QML)
        qml.flush()
        engine.load(qml.name)
    window = engine.rootObjects()[0]
    loop = QEventLoop()
    window.frameSwapped.connect(loop.quit)
    QTimer.singleShot(30_000, loop.quit)
    loop.exec()
    first = time.perf_counter() - began
    del app
    return {"first_frame_s": first, "rss_mb": rss_mb()}


def child_kiosk(config_path: str) -> dict[str, float]:
    began = time.perf_counter()
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QGuiApplication

    from kiosk.config import load_config
    from kiosk.ui.app import KioskUi

    app = QGuiApplication(["bench"])
    ui = KioskUi(load_config(Path(config_path)))
    loop = QEventLoop()
    ui.window.frameSwapped.connect(loop.quit)
    QTimer.singleShot(30_000, loop.quit)
    loop.exec()
    to_welcome = time.perf_counter() - began
    ui.start_devices()

    def wait(predicate, limit_s: float) -> None:
        deadline = time.monotonic() + limit_s
        while not predicate():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out at screen {ui.controller.screen}")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    wait(lambda: ui.controller.ready, 120)
    to_ready = time.perf_counter() - began
    rss_ready = rss_mb()
    flow_began = time.perf_counter()
    ui.controller.start()
    wait(lambda: ui.controller.screen == "result", 120)
    flow_s = time.perf_counter() - flow_began
    decision = ui.controller.decision
    ui.controller.done()
    wait(lambda: ui.controller.screen == "welcome", 10)
    result = {
        "to_welcome_s": to_welcome,
        "to_devices_ready_s": to_ready,
        "rss_ready_mb": rss_ready,
        "check_in_s": flow_s,
        "check_in_decision": decision,
        "rss_after_check_in_mb": rss_mb(),
    }
    ui.close()
    return result


def run_child(kind: str, env: dict[str, str], *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.ui_start", "--child", kind, *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        data = child_baseline() if sys.argv[2] == "baseline" else child_kiosk(sys.argv[3])
        print(json.dumps(data))
        return 0
    from tests.harness.xvfb import XvfbServer

    work = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    demo = (REPO / "kiosk" / "config" / "demo.toml").read_text(encoding="utf-8")
    demo = demo.replace(
        'state_dir = "~/.local/state/bdmi-kiosk-demo"', f'state_dir = "{work}/state"'
    )
    config = work / "kiosk.toml"
    config.write_text(demo, encoding="utf-8")
    xvfb = XvfbServer(work / "xvfb")
    xvfb.start()
    try:
        env = {**os.environ, "DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb"}
        baseline = run_child("baseline", env)
        kiosk = run_child("kiosk", env, str(config))
    finally:
        xvfb.stop()
    report = {
        "baseline_first_frame_s": round(baseline["first_frame_s"], 3),
        "baseline_rss_mb": round(baseline["rss_mb"], 1),
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in kiosk.items()},
        "welcome_ratio": round(kiosk["to_welcome_s"] / baseline["first_frame_s"], 2),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
