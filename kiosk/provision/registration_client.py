"""The kiosk's side of registration: one request over the site broker, one answer awaited.

A short-lived MQTT v5 connection of its own (client id ``bdmi-provision-<device>``, clean
start, no session kept): it subscribes to its ``registered`` topic *before* it publishes, so
an answer cannot slip past, then waits with a progress line every few seconds until the
gateway answers or ``timeout_s`` passes. A gateway that is down does not receive the request
at all (gateways keep no broker session), so a timeout is always safe to retry.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt

from edge_sync.protocol.mqtt_session import BrokerSettings, make_client
from edge_sync.protocol.registration_wire import (
    RegistrationAck,
    RegistrationRequest,
    register_topic,
    registered_topic,
)
from edge_sync.protocol.wire import WireError

PROGRESS_EVERY_S = 5.0


class RegistrationFailed(Exception):
    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def register(
    broker: BrokerSettings,
    request: RegistrationRequest,
    *,
    timeout_s: float,
    progress: Callable[[str], None] = lambda _line: None,
) -> RegistrationAck:
    """The gateway's ``registered`` answer; ``RegistrationFailed`` with the gateway's
    reason when it refused, or ``PROV_BROKER_*`` / ``PROV_GATEWAY_TIMEOUT``."""
    client = make_client(f"bdmi-provision-{request.device_id}", broker)
    connected = threading.Event()
    subscribed = threading.Event()
    answered = threading.Event()
    state: dict[str, object] = {}

    def on_connect(_c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        state["rc"] = rc
        connected.set()

    def on_subscribe(*_args: object) -> None:
        subscribed.set()

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        try:
            ack = RegistrationAck.decode(message.payload)
        except WireError:
            return
        if ack.request_id in (request.request_id, "") and ack.device_id == request.device_id:
            state["ack"] = ack
            answered.set()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    try:
        client.connect(broker.host, broker.port, keepalive=broker.keepalive_s, clean_start=True)
    except ssl.SSLError as exc:
        raise RegistrationFailed(
            f"TLS with {broker.host}:{broker.port} failed ({exc.reason or exc}): the broker "
            "refused this certificate, or its own does not chain to sync.ca_file",
            reason="PROV_BROKER_TLS",
        ) from None
    except OSError as exc:
        raise RegistrationFailed(
            f"cannot reach the broker {broker.host}:{broker.port}: {exc}",
            reason="PROV_BROKER_UNREACHABLE",
        ) from None
    client.loop_start()
    try:
        if not connected.wait(min(timeout_s, 30.0)) or getattr(state["rc"], "is_failure", False):
            raise RegistrationFailed(
                f"the broker {broker.host}:{broker.port} did not accept the connection "
                f"({state.get('rc', 'no answer')})",
                reason="PROV_BROKER_REFUSED",
            )
        client.subscribe(registered_topic(request.site, request.device_id), qos=1)
        if not subscribed.wait(min(timeout_s, 30.0)):
            raise RegistrationFailed(
                "the broker did not confirm the subscription", reason="PROV_BROKER_REFUSED"
            )
        client.publish(register_topic(request.site, request.device_id), request.encode(), qos=1)
        _wait(answered, timeout_s, progress)
    finally:
        client.disconnect()
        client.loop_stop()
    ack = state["ack"]
    assert isinstance(ack, RegistrationAck)
    if ack.status == "rejected":
        raise RegistrationFailed("the gateway refused the registration", reason=ack.reason or "")
    return ack


def _wait(answered: threading.Event, timeout_s: float, progress: Callable[[str], None]) -> None:
    start = time.monotonic()
    progress(f"published; waiting for the gateway (up to {timeout_s:.0f} s) ...")
    while not answered.wait(min(PROGRESS_EVERY_S, max(0.0, start + timeout_s - time.monotonic()))):
        waited = time.monotonic() - start
        if waited >= timeout_s:
            raise RegistrationFailed(
                f"no answer from a gateway within {timeout_s:.0f} s (is bdmi-gateway running "
                "with [registration] enabled?)",
                reason="PROV_GATEWAY_TIMEOUT",
            )
        progress(f"waiting for the gateway ... {waited:.0f} s")
