"""``bdmi-gateway run``: the service (MQTT intake, batching, anchoring, acks) until SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edge_sync.gateway.cli.common import _now_ms, load_account, registry_client
from edge_sync.gateway.config import GatewayConfig, GatewayConfigError
from edge_sync.gateway.db import open_gateway_db
from edge_sync.protocol import signature
from edge_sync.protocol.mqtt_session import BrokerSettings

if TYPE_CHECKING:
    from edge_sync.gateway.registration import Registrar

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("run", help="the gateway service").set_defaults(handler=_run)


def _run(config: GatewayConfig, _args: argparse.Namespace) -> int:
    from edge_sync.gateway.followup_setup import build_follow_ups
    from edge_sync.gateway.service import GatewayService

    db = open_gateway_db(config.database)
    client = registry_client(config)
    if client.gateway_account is None:
        raise GatewayConfigError("CFG_MISSING: chain.wallet_file (the gateway's anchoring account)")
    follow_ups = build_follow_ups(config, client.gateway_account, load_account, _now_ms)
    registrar = _registrar(config, db)
    broker = config.broker
    if broker.share_group is None:
        raise GatewayConfigError(
            "CFG_MISSING: broker.share_group (the site's secret gateway group; "
            "`bdmi-gateway broker-config` prints one)"
        )
    service = GatewayService(
        db,
        client,
        BrokerSettings(
            broker.host,
            broker.port,
            broker.ca_file,
            broker.cert_file,
            broker.key_file,
            session_expiry_s=broker.session_expiry_s,
        ),
        broker.client_id,
        broker.share_group,
        ack_signer(client.gateway_account),
        batch_size=config.batch.max_size,
        batch_interval_s=config.batch.interval_s,
        follow_ups=follow_ups,
        registrar=registrar,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("gateway started", extra={"client_id": broker.client_id})
    service.run(stop)
    log.info("gateway stopped", extra=dict(service.counters))
    return 0


def ack_signer(account: Any) -> Callable[[bytes], bytes]:
    """Signs acks with the anchoring account's key through ``cryptography``: neo-mamba's
    ``Account.sign`` cost about 0.75 ms an ack (issue 19). Same curve, hash and 64-byte
    r||s, which neo-mamba verifies (tests/security/test_signature_neo.py). An account
    without a private key in hand (a locked or multisig one) keeps its own ``sign``."""
    secret = getattr(account, "private_key", None)
    if not secret:
        return account.sign
    key = signature.private_key(bytes(secret))
    return lambda message: signature.sign(key, message)


def _registrar(config: GatewayConfig, db: object) -> Registrar | None:
    """Self-registration over MQTT when ``[registration] enabled``
    (edge_sync/gateway/registration.py)."""
    from edge_sync.gateway.registration import Registrar
    from edge_sync.protocol.device_cert import DeviceCertError, load_bundle

    if not config.registration.enabled:
        return None
    ca_file = config.registration.ca_file or config.broker.ca_file
    if ca_file is None:
        raise GatewayConfigError("CFG_MISSING: registration.ca_file (the site CA bundle)")
    try:
        roots = load_bundle(ca_file.read_bytes())
    except (OSError, DeviceCertError) as exc:
        raise GatewayConfigError(
            f"CFG_INVALID_VALUE: registration.ca_file {ca_file}: {exc}"
        ) from None
    registry = registry_client(config, admin=True)
    gateway = registry.gateway_account
    if gateway is None:
        raise GatewayConfigError("CFG_MISSING: chain.wallet_file (the key that signs the acks)")
    return Registrar(
        db,  # type: ignore[arg-type]
        registry,
        roots,
        _now_ms,
        gateway.public_key.encode_point(True),
        ack_signer(gateway),
    )
