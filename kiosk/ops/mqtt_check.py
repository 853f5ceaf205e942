"""MQTT: can this kiosk reach its broker with its own mTLS identity, and for how much longer?

The check connects exactly as ``bdmi-sync`` does
(``edge_sync.protocol.mqtt_session.make_client`` with the configured CA, client certificate and
key), but under its own client id and with a clean session that expires at once: reusing the
agent's id would make the broker drop the agent's connection, and a persistent session would
leave state behind. It says which step failed, because each has another fix: TCP
(``OPS_MQTT_UNREACHABLE``: network, host, port, firewall), the TLS handshake (``OPS_MQTT_TLS``:
CA, certificate, clock), the broker's answer (``OPS_MQTT_REFUSED``: the broker does not accept
this identity; ``OPS_MQTT_NO_ANSWER``).

Certificates are read before connecting: an expired one is a ``fail`` whatever the broker
says (brokers that do not check would hide it until one that does), one expiring within
``health.cert_warn_days`` a ``warn``, so it is renewed before sync stops.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.ops.check import Check, fail, ok, skipped, warn
from kiosk.ops.context import CheckContext

NAME = "mqtt"
OPS_SYNC_DISABLED = "OPS_SYNC_DISABLED"
OPS_MQTT_UNREACHABLE = "OPS_MQTT_UNREACHABLE"
OPS_MQTT_TLS = "OPS_MQTT_TLS"
OPS_MQTT_REFUSED = "OPS_MQTT_REFUSED"
OPS_MQTT_NO_ANSWER = "OPS_MQTT_NO_ANSWER"
OPS_MQTT_NO_TLS = "OPS_MQTT_NO_TLS"
OPS_CERT_UNREADABLE = "OPS_CERT_UNREADABLE"
OPS_CERT_EXPIRED = "OPS_CERT_EXPIRED"
OPS_CERT_NOT_YET_VALID = "OPS_CERT_NOT_YET_VALID"
OPS_CERT_EXPIRING = "OPS_CERT_EXPIRING"


@dataclass(frozen=True, slots=True)
class CertFinding:
    """The earliest-expiring certificate among the configured files."""

    file: str
    not_after: dt.datetime
    not_before: dt.datetime


def _certificates(path: Path) -> list[Any]:
    from cryptography import x509

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _CertProblem(f"cannot read {path}: {exc.strerror}") from None
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise _CertProblem(f"{path} holds no PEM certificate ({exc})") from None
    return found


class _CertProblem(Exception):
    pass


def soonest_expiry(files: list[Path]) -> CertFinding | None:
    """The certificate (of all in ``files``) that expires first; ``_CertProblem`` when one
    cannot be read."""
    soonest: CertFinding | None = None
    for path in files:
        for cert in _certificates(path):
            found = CertFinding(str(path), cert.not_valid_after_utc, cert.not_valid_before_utc)
            if soonest is None or found.not_after < soonest.not_after:
                soonest = found
    return soonest


def judge_certificates(files: list[Path], now: dt.datetime, warn_days: int) -> Check | None:
    """A ``fail`` or ``warn`` about the certificates, or ``None`` when they are fine."""
    try:
        soonest = soonest_expiry(files)
    except _CertProblem as exc:
        return fail(NAME, OPS_CERT_UNREADABLE, str(exc))
    if soonest is None:
        return None
    days = (soonest.not_after - now).total_seconds() / 86_400
    detail = {"cert_expires_in_days": round(days, 1)}
    if now < soonest.not_before:
        return fail(
            NAME,
            OPS_CERT_NOT_YET_VALID,
            f"{soonest.file} is valid only from {soonest.not_before:%Y-%m-%d %H:%M} UTC "
            "(check the clock)",
            **detail,
        )
    if days <= 0:
        return fail(
            NAME, OPS_CERT_EXPIRED, f"{soonest.file} expired {soonest.not_after:%Y-%m-%d}", **detail
        )
    if days <= warn_days:
        return warn(
            NAME,
            OPS_CERT_EXPIRING,
            f"{soonest.file} expires {soonest.not_after:%Y-%m-%d}, in {days:.0f} days",
            **detail,
        )
    return None


def check_mqtt(ctx: CheckContext) -> Check:
    sync = ctx.config.sync
    if not sync.enabled:
        return skipped(NAME, OPS_SYNC_DISABLED, "sync.enabled = false: the kiosk does not sync")
    files = [p for p in (sync.cert_file, sync.ca_file) if p is not None]
    now = dt.datetime.fromtimestamp(ctx.wall_ms() / 1000, dt.UTC)
    certificates = judge_certificates(files, now, ctx.config.health.cert_warn_days)
    if certificates is not None and certificates.status == "fail":
        return certificates
    connected = _connect(ctx)
    if connected.status != "ok":
        return connected
    if certificates is not None:  # reachable, but the certificate needs renewing soon
        return warn(
            NAME,
            certificates.reason or OPS_CERT_EXPIRING,
            f"{connected.message}; but {certificates.message}",
            **connected.detail,
            **certificates.detail,
        )
    if sync.ca_file is None:
        return warn(
            NAME,
            OPS_MQTT_NO_TLS,
            f"{connected.message} over plain TCP: no sync.ca_file, so no TLS",
            **connected.detail,
        )
    return connected


def _connect(ctx: CheckContext) -> Check:
    import paho.mqtt.client as mqtt

    from edge_sync.protocol.mqtt_session import make_client
    from kiosk.config.sync import broker_from_config

    sync = ctx.config.sync
    timeout = ctx.config.health.mqtt_timeout_s
    where = f"{sync.broker_host}:{sync.broker_port}"
    settings = broker_from_config(ctx.config, session_expiry_s=0)
    client_id = f"bdmi-selftest-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"
    try:
        client = make_client(client_id, settings)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return fail(NAME, OPS_MQTT_TLS, f"the TLS files cannot be used: {exc}")
    client.connect_timeout = timeout
    answer: dict[str, Any] = {}

    def on_connect(_c: Any, _u: Any, _f: Any, reason_code: Any, _p: Any) -> None:
        answer["reason"] = reason_code

    def on_disconnect(_c: Any, _u: Any, _f: Any, reason_code: Any, _p: Any) -> None:
        answer.setdefault("dropped", reason_code)

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    started = time.monotonic()
    tls = sync.ca_file is not None
    try:
        client.connect(sync.broker_host, sync.broker_port, keepalive=sync.keepalive_s)
    except ssl.SSLError as exc:
        return fail(NAME, OPS_MQTT_TLS, f"TLS handshake with {where} failed: {exc}", tls=tls)
    except (OSError, TimeoutError) as exc:
        return fail(NAME, OPS_MQTT_UNREACHABLE, f"cannot connect to {where}: {exc}", tls=tls)
    try:
        deadline = started + timeout
        while "reason" not in answer and "dropped" not in answer:
            if time.monotonic() >= deadline:
                return fail(NAME, OPS_MQTT_NO_ANSWER, f"{where} sent no CONNACK in {timeout:.0f} s")
            if client.loop(timeout=0.1) not in (mqtt.MQTT_ERR_SUCCESS,):
                answer.setdefault("dropped", "connection lost")
    finally:
        client.disconnect()
    elapsed = round(time.monotonic() - started, 3)
    reason = answer.get("reason")
    if reason is None:
        return fail(
            NAME,
            OPS_MQTT_TLS if tls else OPS_MQTT_UNREACHABLE,
            f"{where} closed the connection before answering ({answer.get('dropped')}): "
            "the broker refused the client certificate, or the network dropped it",
            tls=tls,
        )
    if reason.is_failure:
        return fail(NAME, OPS_MQTT_REFUSED, f"{where} refused the connection: {reason}", tls=tls)
    return ok(NAME, f"broker {where} accepts this kiosk", tls=tls, connect_s=elapsed)
