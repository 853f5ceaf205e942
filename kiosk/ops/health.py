"""``bdmi-health``: the keepalive daemon. Every ``health.interval_s`` it runs the self-test,
watches the kiosk's services and how far sync lags, takes the recovery actions a failed
device allows (kiosk/ops/recovery.py), and publishes what it found as a RETAINED message on
``bdmi/v1/{site}/{device}/health``, so a fleet dashboard sees each kiosk's last state the
moment it subscribes, even for a kiosk that has since gone silent.

    bdmi-health run [--once] [--config FILE]

While ``bdmi-kiosk`` runs it owns the camera and the readers, so the round only checks that
they are present (kiosk/ops/presence.py) and takes no recovery action; the full device checks
and recovery run when the kiosk is down (crashed, stopped, or in a restart loop), which is
when they are needed.

``run`` loops until SIGTERM; ``run --once`` does one round and exits with its code (0 ok or
warnings, 1 a check failed, 2 usage or configuration), for a systemd timer.

The message holds statuses, reason codes, counts and ages only: no message text (a message
names paths and devices for a technician, which is fine on a terminal but not on a fleet
broker), never personal data. It also carries the audit log's head (``seq:hash``): published
outside the store, it lets ``kioskctl audit verify --expect-head`` catch a log whose tail was
cut off. The agent (``bdmi-sync``) publishes its own, non-retained queue figures on the same
topic; ``source`` tells the two apart, and the broker keeps only this retained one.

Publishing connects with the device's mTLS identity under client id ``bdmi-health-<device>``
(never the agent's: the broker would disconnect the agent) and a session that ends with the
connection. A broker that cannot be reached is logged (``OPS_HEALTH_NOT_PUBLISHED``) and the
round goes on: the daemon exists for the times things are broken.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.ops.check import (
    Check,
    Planned,
    Progress,
    exit_code,
    fail,
    ok,
    run_checks,
    skipped,
    warn,
    worst,
)
from kiosk.ops.context import CheckContext
from kiosk.ops.mqtt_check import OPS_SYNC_DISABLED
from kiosk.ops.presence import check_presence
from kiosk.ops.recovery import Recovery, recover
from kiosk.ops.selftest import plan
from kiosk.ops.services import ServiceProbe, check_services, default_probe
from kiosk.store.errors import StoreError

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig

log = logging.getLogger(__name__)

SOURCE = "bdmi-health"
OPS_SYNC_LAG = "OPS_SYNC_LAG"
OPS_HEALTH_NOT_PUBLISHED = "OPS_HEALTH_NOT_PUBLISHED"
EXIT_USAGE = 2
_DEVICE_CHECKS = frozenset({"camera", "reader.sam", "reader.pcsc"})


def check_sync_lag(ctx: CheckContext) -> Check:
    """How old the oldest result no gateway has accepted yet is (kiosk/store/outbox.py)."""
    from kiosk.store import outbox

    if not ctx.config.sync.enabled:
        return skipped("sync", OPS_SYNC_DISABLED, "sync.enabled = false: results stay here")
    try:
        status = outbox.status(ctx.store(), now_ms=ctx.wall_ms())
    except StoreError as exc:
        return fail("sync", exc.reason, str(exc.args[0]))
    age_ms = status.oldest_pending_age_ms
    detail: dict[str, Any] = {"outbox": status.counts}
    if age_ms is None:
        return ok("sync", "nothing waiting: every result was accepted", **detail)
    age_s = age_ms // 1000
    detail["oldest_unsent_age_s"] = age_s
    limit = ctx.config.health.sync_lag_warn_s
    waiting = status.counts.get("pending", 0) + status.counts.get("sending", 0)
    if age_s > limit:
        return warn(
            "sync",
            OPS_SYNC_LAG,
            f"{waiting} results waiting, the oldest for {age_s} s (health.sync_lag_warn_s {limit})",
            **detail,
        )
    return ok("sync", f"{waiting} results waiting, the oldest for {age_s} s", **detail)


@dataclass
class HealthRound:
    site: str
    at_ms: int
    checks: list[Check]
    recoveries: list[Recovery] = field(default_factory=list)
    audit_head: str | None = None
    published: bool = False

    @property
    def status(self) -> str:
        return worst(self.checks)

    @property
    def exit_code(self) -> int:
        return exit_code(self.checks)

    def message(self) -> dict[str, Any]:
        """The health report as published: statuses, codes, counts; no text."""
        sync = next((c for c in self.checks if c.name == "sync"), None)
        disk = next((c for c in self.checks if c.name == "disk"), None)
        return {
            "source": SOURCE,
            "software": __version__,
            "at_ms": self.at_ms,
            "status": self.status,
            "checks": {c.name: {"status": c.status, "reason": c.reason} for c in self.checks},
            "outbox": None if sync is None else sync.detail.get("outbox"),
            "oldest_unsent_age_s": None if sync is None else sync.detail.get("oldest_unsent_age_s"),
            "disk_free_mb": None if disk is None else disk.detail.get("free_mb"),
            "audit_head": self.audit_head,
            "recoveries": [
                {
                    "device": r.device,
                    "action": r.action,
                    "trigger": r.trigger,
                    "outcome": r.outcome,
                    "result": r.result,
                }
                for r in self.recoveries
            ],
        }


Publisher = Callable[["KioskConfig", dict[str, Any]], None]


def publish_retained(config: KioskConfig, report: dict[str, Any]) -> None:
    """Publish ``report`` retained, QoS 1, and wait for the broker's PUBACK. Raises
    ``PublishFailed`` (with a reason code) when it cannot."""
    from edge_sync.protocol.wire import encode_health, health_topic

    publish(config, lambda device: health_topic(config.device.site, device),
            encode_health(report), retain=True)  # fmt: skip


def publish(config: KioskConfig, topic: Callable[[str], str], payload: bytes, *, retain: bool,
            reason: str = OPS_HEALTH_NOT_PUBLISHED) -> None:  # fmt: skip
    """One QoS 1 message on ``topic(device_id)`` with the device's mTLS identity, waiting
    for the broker's PUBACK; ``PublishFailed`` with ``reason`` when it cannot."""
    import paho.mqtt.client as mqtt

    from edge_sync.protocol.mqtt_session import make_client
    from kiosk.config.sync import broker_from_config
    from kiosk.security.errors import SecurityError
    from kiosk.security.identity import device_id_from_config

    sync = config.sync
    try:
        device_id = device_id_from_config(config)
    except SecurityError as exc:
        raise PublishFailed(exc.reason, str(exc.args[0])) from None
    settings = broker_from_config(config, session_expiry_s=0)
    timeout = config.health.mqtt_timeout_s
    try:
        client = make_client(f"{SOURCE}-{device_id}", settings)
        client.connect_timeout = timeout
        client.connect(sync.broker_host, sync.broker_port, keepalive=sync.keepalive_s)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise PublishFailed(reason, f"cannot connect: {exc}") from None
    try:
        info = client.publish(topic(device_id), payload, qos=1, retain=retain)
        deadline = time.monotonic() + timeout
        while not info.is_published():
            if time.monotonic() >= deadline:
                raise PublishFailed(reason, f"no PUBACK in {timeout:.0f} s")
            if client.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS:
                raise PublishFailed(reason, "the broker closed the connection")
    finally:
        client.disconnect()


class PublishFailed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def run_round(
    config: KioskConfig,
    *,
    probe: ServiceProbe,
    publisher: Publisher | None = publish_retained,
    context: Callable[[KioskConfig], CheckContext] = CheckContext,
    progress: Progress | None = None,
) -> HealthRound:
    """One round: self-test, watches, recovery, publish. Never raises for what it checks."""
    ctx = context(config)
    health = config.health
    try:
        at_ms = ctx.wall_ms()
        kiosk_running = "bdmi-kiosk" in health.services and probe.state("bdmi-kiosk").active
        devices = [p for p in plan(ctx) if p.name not in _DEVICE_CHECKS]
        if kiosk_running:  # the kiosk owns the devices: look, do not touch (presence.py)
            devices.insert(0, Planned("devices", lambda: check_presence(ctx)))
        else:
            devices = plan(ctx)
        planned: Sequence[Planned] = [
            *devices,
            Planned(
                "services",
                lambda: check_services(health.services, probe, sync_enabled=config.sync.enabled),
            ),
            Planned("sync", lambda: check_sync_lag(ctx)),
        ]
        checks = run_checks(planned, progress)
        recoveries: list[Recovery] = []
        if health.recovery and not kiosk_running:
            checks, recoveries = recover(
                ctx,
                checks,
                min_s=health.recovery_min_interval_s,
                max_s=health.recovery_max_interval_s,
            )
        head = next((c.detail.get("head") for c in checks if c.name == "audit"), None)
        if head is None:
            head = _head(ctx)
    finally:
        ctx.close()
    result = HealthRound(config.device.site, at_ms, checks, recoveries, head)
    if publisher is not None and config.sync.enabled:
        try:
            publisher(config, result.message())
            result.published = True
        except PublishFailed as exc:
            log.warning("health not published: %s", exc, extra={"reason": exc.reason})
    _log_round(result)
    return result


def _head(ctx: CheckContext) -> str | None:
    """The audit head even when the chain did not verify (published: it is evidence)."""
    from kiosk.store import audit

    try:
        head = audit.head(ctx.store())
    except StoreError:
        return None
    return None if head is None else str(head)


def _log_round(result: HealthRound) -> None:
    bad = {c.name: c.reason for c in result.checks if c.status in ("warn", "fail")}
    log.info(
        "health round: %s",
        result.status,
        extra={
            "status": result.status,
            "problems": ",".join(f"{k}={v}" for k, v in bad.items()) or "none",
            "recoveries": len(result.recoveries),
            "published": result.published,
        },
    )


def _notifier() -> Any:
    """sd_notify when started by systemd with a notify socket; harmless otherwise."""
    try:
        import sdnotify

        return sdnotify.SystemdNotifier()
    except ImportError:  # pragma: no cover - sdnotify is a dependency
        return None


def serve(config: KioskConfig, stop: threading.Event, probe: ServiceProbe) -> None:
    """Rounds every ``health.interval_s``; between them, calls for staff are forwarded
    within seconds (kiosk/ops/staff_call.py): a person is waiting at the kiosk."""
    from kiosk.ops.staff_call import forward_from_config

    notifier = _notifier()
    ready = False
    while not stop.is_set():
        started = time.monotonic()
        result = run_round(config, probe=probe)
        if notifier is not None:
            if not ready:
                notifier.notify("READY=1")
                ready = True
            notifier.notify(f"STATUS=last round {result.status}")
        while not stop.is_set():
            forward_from_config(config)
            left = config.health.interval_s - (time.monotonic() - started)
            if left <= 0:
                break
            stop.wait(min(left, config.assist.staff_call_poll_s))


def _progress(index: int, total: int, name: str) -> None:
    print(f"bdmi-health [{index}/{total}] {name} ...", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.config import ConfigError, load_config, resolve_path
    from kiosk.log import configure_logging

    parser = argparse.ArgumentParser(
        prog="bdmi-health", description="BDMI kiosk keepalive: self-test, watches, recovery"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the health rounds (until SIGTERM, or --once)")
    run.add_argument("--once", action="store_true", help="one round, exit with its code")
    run.add_argument(
        "--config", help="kiosk config (default: $BDMI_CONFIG, then /etc/bdmi-kiosk/kiosk.toml)"
    )
    args = parser.parse_args(argv)
    path = resolve_path(args.config)
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"bdmi-health: configuration {path} invalid:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(config.logging.level, config.logging.format)
    probe = default_probe(config.health.pid_dir)
    if args.once:
        return run_round(config, probe=probe, progress=_progress).exit_code
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("health daemon started", extra={"interval_s": config.health.interval_s})
    serve(config, stop, probe)
    log.info("health daemon stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
