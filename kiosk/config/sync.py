"""The ``[sync]`` section as the MQTT session's settings: what ``bdmi-sync``, the self-test and
the health daemon connect with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge_sync.protocol.mqtt_session import BrokerSettings

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig


def broker_from_config(
    config: KioskConfig, *, session_expiry_s: int | None = None
) -> BrokerSettings:
    """The configured broker and mTLS files; ``session_expiry_s=0`` for a short-lived
    connection (the self-test, the health daemon) that must not leave a session behind."""
    sync = config.sync
    return BrokerSettings(
        host=sync.broker_host,
        port=sync.broker_port,
        ca_file=sync.ca_file,
        cert_file=sync.cert_file,
        key_file=sync.key_file,
        keepalive_s=sync.keepalive_s,
        session_expiry_s=sync.session_expiry_s if session_expiry_s is None else session_expiry_s,
    )
