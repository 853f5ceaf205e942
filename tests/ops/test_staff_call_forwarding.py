"""A call for staff reaches the site's broker: the kiosk's audit entry, forwarded by
``bdmi-health`` to the real Mosquitto (mTLS) and read back by a subscriber, once; a broker
that is down delays the call without losing it; a lapsed call is passed over."""

from __future__ import annotations

import json
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from kiosk.ops.staff_call import CURSOR_FILE, forward_from_config, staff_call_topic
from kiosk.security.identity import device_id_from_config
from kiosk.shell.runner import STAFF_CALLED
from kiosk.store import audit
from kiosk.store.database import open_from_config
from tests.harness.ports import free_port

pytestmark = pytest.mark.services


class Subscriber:
    """A site dashboard: subscribed before the call, as a live listener is."""

    def __init__(self, broker, topic: str) -> None:
        self.messages: list[bytes] = []
        self.arrived = threading.Event()
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="staff-call-listener",
                                  protocol=mqtt.MQTTv5)  # fmt: skip
        # The site's dashboard reads every kiosk's calls: the broker ACL's monitoring role.
        identity = broker.identity("bdmi-gateway-monitor")
        self.client.tls_set(ca_certs=str(broker.ca_cert), certfile=str(identity.cert),
                            keyfile=str(identity.key))  # fmt: skip
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()

        def on_message(_c, _u, message) -> None:
            self.messages.append(message.payload)
            self.arrived.set()

        self.client.on_message = on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert subscribed.wait(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def call_staff(config, *, screen: str, reason: str | None, at_ms: int | None = None) -> None:
    """The entry FlowRunner writes for a CallStaff command."""
    db = open_from_config(config)
    try:
        audit.append(db, at_ms=at_ms or int(time.time() * 1000), actor_kind="patient_session",
                     actor_id="hospital_checkin", action=STAFF_CALLED, record_kind="session",
                     detail={"screen": screen, "reason": reason})  # fmt: skip
    finally:
        db.close()


def test_a_call_reaches_the_site_once_and_a_lapsed_one_is_passed_over(rig, mosquitto_tls):
    config = rig.config()
    topic = staff_call_topic(config.device.site, device_id_from_config(config))
    listener = Subscriber(mosquitto_tls, topic)
    try:
        hour_ago = int(time.time() * 1000) - 3_600_000
        call_staff(config, screen="face", reason="IDV_FACE_TOO_FAR", at_ms=hour_ago)
        call_staff(config, screen="present_document", reason="DRV_SAM_CARD_REMOVED")
        assert forward_from_config(config) == 1
        assert listener.arrived.wait(10)
        assert forward_from_config(config) == 0  # forwarded once
        time.sleep(0.5)  # a duplicate would have arrived by now on a local broker
    finally:
        listener.close()
    [payload] = listener.messages
    message = json.loads(payload)
    assert message["screen"] == "present_document"
    assert message["reason"] == "DRV_SAM_CARD_REMOVED" and message["source"] == "bdmi-health"
    assert set(message) == {"source", "seq", "at_ms", "screen", "reason"}  # nothing personal


def test_a_broker_that_is_down_delays_the_call_without_losing_it(rig, mosquitto_tls, caplog):
    rig.broker_port = free_port()  # nothing listens there
    down = rig.config()
    call_staff(down, screen="staff_pin", reason=None)
    assert forward_from_config(down) == 0
    assert any(getattr(r, "reason", "") == "OPS_STAFF_CALL_NOT_FORWARDED" for r in caplog.records)
    assert (down.device.state_dir / CURSOR_FILE).exists() is False
    rig.broker_port = None  # the broker is back
    up = rig.config()
    topic = staff_call_topic(up.device.site, device_id_from_config(up))
    listener = Subscriber(mosquitto_tls, topic)
    try:
        assert forward_from_config(up) == 1
        assert listener.arrived.wait(10)
    finally:
        listener.close()
    assert json.loads(listener.messages[0])["screen"] == "staff_pin"
