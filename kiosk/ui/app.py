"""``bdmi-kiosk``: loads the config, then shows the QML touch UI full screen."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuickControls2 import QQuickStyle

from kiosk import __version__
from kiosk.config import ConfigError, KioskConfig, load_config, resolve_path
from kiosk.flows.service import ServiceGate
from kiosk.log import RecentReasons, configure_logging
from kiosk.ui.controller import KioskController, QrProvider, SiteSettings
from kiosk.ui.reason_texts import ReasonTexts
from kiosk.ui.voice import Voice
from kiosk.ui.watchdog import Keepalive, kiosk_status

if TYPE_CHECKING:
    from kiosk.shell.runner import FlowRunner

log = logging.getLogger(__name__)

QML_MAIN = Path(__file__).parent / "qml" / "Main.qml"
# Noto Sans CJK covers Simplified Chinese and Latin in one face, so both languages
# render with the same metrics (fonts-noto-cjk is installed by bootstrap and the image).
FONT_FAMILY = "Noto Sans CJK SC"


class KioskUi:
    """The engine, the controller and the window, built once and kept together so a test
    and ``main`` construct the UI the same way."""

    def __init__(self, config: KioskConfig) -> None:
        if QQuickStyle.name() != "Basic":  # settable once per process, before any QML
            QQuickStyle.setStyle("Basic")  # no platform style: identical look everywhere
        QGuiApplication.setFont(QFont(FONT_FAMILY))
        self.config = config
        self.engine = QQmlApplicationEngine()
        self.controller = KioskController(
            self.engine, config.ui.default_language, config.device.flow
        )
        self.controller.site_defaults(
            SiteSettings(
                language=config.ui.default_language,
                large_text=config.ui.large_text,
                high_contrast=config.ui.high_contrast,
            )
        )
        self.controller.insurer_names = dict(config.consent.insurer_names)
        self.controller.reader_places = [
            {"kind": kind, "placement": reader.placement}
            for kind, reader in (("sam", config.readers.sam), ("pcsc", config.readers.pcsc))
            if reader is not None
        ]
        self.engine.addImageProvider("preview", self.controller.preview)
        self.engine.addImageProvider("qr", QrProvider())
        # The registry's words for Texts.qml, in the controller's language.
        self.reason_texts = ReasonTexts(self.engine, self.controller.language)
        self.controller.languageChanged.connect(
            lambda: self.reason_texts.set_language(self.controller.language)
        )
        self.engine.rootContext().setContextProperty("reasonTexts", self.reason_texts)
        self.voice = Voice(config.ui.voice_prompts)
        self.controller.on_speak = self.voice.say
        self.controller.on_volume = self.voice.set_volume
        # The site's loudness, now and after every wipe.
        self.controller.default_volume = config.assist.voice_volume
        self.voice.set_volume(config.assist.voice_volume)
        self.controller.setVolume(config.assist.voice_volume)
        # Service mode: the staff PIN behind a lockout, and the recent reason codes to show.
        from kiosk.shell.factory import staff_gate  # not at import: it pulls in the face stack

        self.gate: ServiceGate = staff_gate(config)
        self.controller.gate = self.gate
        self.recent = RecentReasons()
        logging.getLogger().addHandler(self.recent)
        self.controller.recent = self.recent
        self.controller.service_info = self._service_info
        self.runner: FlowRunner | None = None
        self.start_error: str | None = None
        self.engine.setInitialProperties(
            {
                "controller": self.controller,
                "fullScreen": config.ui.fullscreen,
            }
        )
        self.engine.load(QML_MAIN)
        roots = self.engine.rootObjects()
        if not roots:
            raise RuntimeError(f"UI_QML_LOAD: {QML_MAIN} failed to load (see the log above)")
        self.window = roots[0]
        self._opening: threading.Thread | None = None

    def _service_info(self) -> dict[str, str]:
        """What a technician reads first: which software, where, which device."""
        from kiosk.security.errors import SecurityError
        from kiosk.security.identity import device_id_from_config

        try:
            device = device_id_from_config(self.config)
        except SecurityError as exc:
            device = exc.reason
        return {"version": __version__, "site": self.config.device.site, "device": device,
                "flow": self.config.device.flow}  # fmt: skip

    def start_devices(self) -> None:
        """Open the readers, the camera, the face models and the store on a worker thread
        (seconds, on a cold start): the welcome screen shows at once, its Start button
        waits for ``controller.ready``."""
        from kiosk.idv.embedding import DlibResNetEmbedder
        from kiosk.shell.factory import configured_flow
        from kiosk.shell.runner import FlowRunner

        flow = configured_flow(self.config, gate=self.gate)
        runner = FlowRunner(self.config, flow, DlibResNetEmbedder())
        self.runner = runner
        done = _Opened()
        done.opened.connect(self._attach, Qt.ConnectionType.QueuedConnection)
        self._done = done

        def work() -> None:
            try:
                runner.open()
            except Exception as exc:  # shown on the service screen; the kiosk stays up
                reason = getattr(exc, "reason", type(exc).__name__)
                log.error("devices did not open", extra={"reason": reason})
                self.start_error = str(reason)
                return
            done.opened.emit()

        self._opening = threading.Thread(target=work, name="open-devices", daemon=True)
        self._opening.start()

    def _attach(self) -> None:
        if self.runner is not None:
            self.controller.attach(self.runner)

    def close(self) -> None:
        """Close the window and let Qt delete the engine (and the controller it owns)."""
        self.controller.release()
        self.voice.stop()
        logging.getLogger().removeHandler(self.recent)
        if self._opening is not None:
            self._opening.join(30)
        if self.runner is not None:
            self.runner.close()
        self.window.close()
        self.engine.deleteLater()


class _Opened(QObject):
    """Carries "devices open" from the worker thread to the Qt thread."""

    opened = Signal()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bdmi-kiosk", description="BDMI identity kiosk")
    parser.add_argument(
        "--config", help="config file (default: $BDMI_CONFIG or /etc/bdmi-kiosk/kiosk.toml)"
    )
    parser.add_argument("--version", action="version", version=f"bdmi-kiosk {__version__}")
    parser.add_argument(
        "--demo-panel",
        action="store_true",
        help="demo only: a windowed kiosk with the demo control panel beside it",
    )
    args, qt_args = parser.parse_known_args(argv)
    path = resolve_path(args.config)
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"bdmi-kiosk: cannot start, configuration invalid:\n{exc}", file=sys.stderr)
        return 1
    configure_logging(config.logging.level, config.logging.format)
    app = QGuiApplication([sys.argv[0], *qt_args])
    app.setApplicationName("bdmi-kiosk")
    app.setApplicationVersion(__version__)
    if args.demo_panel and config.device.mode == "demo":  # the panel goes beside the window
        windowed = config.ui.model_copy(update={"fullscreen": False})
        config = config.model_copy(update={"ui": windowed})
    ui = KioskUi(config)
    panel = show_demo_panel(ui) if args.demo_panel else None
    # systemd: READY on the first frame, watchdog pings from this event loop (kiosk/ui/watchdog.py).
    _keepalive = Keepalive(
        app,
        ui.window,
        config.device.mode,
        status=lambda: kiosk_status(ui.controller.ready, ui.start_error),
    )
    ui.start_devices()
    log.info(
        "kiosk started",
        extra={"version": __version__, "site": config.device.site, "mode": config.device.mode},
    )
    code = app.exec()
    if panel is not None:
        panel.close()
    ui.close()
    return code


def show_demo_panel(ui: KioskUi) -> QObject | None:
    """The demo control panel beside the kiosk window, in a demo only: a production config
    has no simulators to drive (and refuses them), so it gets no panel."""
    if ui.config.device.mode != "demo":
        log.warning("demo panel: not a demo config, not shown")
        return None
    from kiosk.ui.demo_panel import QML as PANEL_QML
    from kiosk.ui.demo_panel import DemoPanel

    panel = DemoPanel(lambda: ui.runner if ui.controller.ready else None, ui.engine)
    ui.controller.readyChanged.connect(panel.refresh)
    ui.engine.setInitialProperties({"panel": panel, "controller": ui.controller})
    ui.engine.load(PANEL_QML)
    window = ui.engine.rootObjects()[-1]
    window.setX(ui.window.x() + ui.window.width() + 10)
    window.setY(ui.window.y())
    return window


if __name__ == "__main__":
    sys.exit(main())
