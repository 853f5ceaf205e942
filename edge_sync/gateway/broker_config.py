"""The site broker's Mosquitto configuration and access control list, as shipped.

Why it is generated here and not kept as a text in the docs: a broker ACL described in a doc is
not an ACL. ``bdmi-gateway broker-config`` writes these two files for a site, and the test
harness starts its Mosquitto with the very same rendering (``tests/harness/mosquitto.py``), so
every sync, provisioning and security test runs against what is deployed.

What they enforce, and why:

- mutual TLS only; the certificate's CN is the MQTT username (``use_identity_as_username``).
  A device's CN is its device id (provisioning issues it so), so the pattern ACL's ``%u``
  keeps each device to its own ``bdmi/v1/{site}/{device}/...`` topics: it publishes its own
  results, status, health, registration and calls for staff, and reads only its own acks. A
  stolen device certificate cannot write for another kiosk or read another kiosk's acks or
  results.
- the gateway role is granted by username (the gateway certificates' CNs, listed per site):
  it reads every device's results and registrations and writes acks and registration answers.
- nothing grants ``$SYS``: the ACL denies by default.
- not yet: binding the client id to the CN. Mosquitto's only way is
  ``use_username_as_clientid``, which gives every connection of one certificate the same
  client id; the device's health daemon, self-test and provisioning connect with the device
  certificate beside ``bdmi-sync``, and would end its session. Until they speak through the
  agent, a stolen certificate can still disconnect another kiosk by using its client id; it
  cannot read or write anything of that kiosk (the ACL is checked against the username, on
  every publish and every delivery). docs/security.md lists it.
- ``message_size_limit`` refuses a message larger than any the protocol sends before the broker
  stores or forwards it, and the queue limits bound what a slow or absent subscriber costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edge_sync.protocol.wire import MAX_MESSAGE

DEVICE_WRITES = ("results", "status", "health", "register", "staff_call")
DEVICE_READS = ("acks", "registered")
GATEWAY_READS = ("results", "register", "status", "health", "staff_call")
GATEWAY_WRITES = ("acks", "registered")


class BrokerConfigError(ValueError):
    """A value that would make a broken or unsafe configuration."""


def _check_username(name: str) -> str:
    # Mosquitto denies every ACL check for a username holding a wildcard; a space or a line
    # break would end the ``user`` line early and grant the rest to somebody else.
    if not name or any(c in name for c in "+#/ \t\r\n\x00"):
        raise BrokerConfigError(f"not a usable certificate CN for a gateway: {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class BrokerSite:
    """What differs from one site's broker to the next."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    acl_file: Path
    persistence_dir: Path
    gateway_usernames: Sequence[str]
    port: int = 8883
    host: str = "0.0.0.0"
    log_dest: str = "syslog"
    """``syslog``, ``stderr`` or ``file PATH``."""
    run_as_user: str | None = None
    """None: Mosquitto's own default (it drops to ``mosquitto`` when started as root)."""
    message_size_limit: int = MAX_MESSAGE
    max_queued_messages: int = 10_000
    max_inflight_messages: int = 64

    def __post_init__(self) -> None:
        if not self.gateway_usernames:
            raise BrokerConfigError("at least one gateway certificate CN is needed")
        for name in self.gateway_usernames:
            _check_username(name)
        if not 0 < self.port < 65536:
            raise BrokerConfigError(f"port {self.port} is not a TCP port")


def render_acl(gateway_usernames: Sequence[str]) -> str:
    """The ACL file. Pattern lines apply to every client, the ``user`` block to the gateways."""
    lines = [
        "# BDMI site broker ACL, written by `bdmi-gateway broker-config`. Default: deny.",
        "# Every client: only its own device's topics (%u = certificate CN = device id).",
        *(f"pattern write bdmi/v1/+/%u/{kind}" for kind in DEVICE_WRITES),
        *(f"pattern read bdmi/v1/+/%u/{kind}" for kind in DEVICE_READS),
    ]
    for name in gateway_usernames:
        lines += [
            "",
            f"user {_check_username(name)}",
            *(f"topic read bdmi/v1/+/+/{kind}" for kind in GATEWAY_READS),
            *(f"topic write bdmi/v1/+/+/{kind}" for kind in GATEWAY_WRITES),
        ]
    return "\n".join(lines) + "\n"


def render_config(site: BrokerSite) -> str:
    """The whole ``mosquitto.conf`` for the site broker (``mosquitto -c FILE``)."""
    lines = ["# BDMI site broker, written by `bdmi-gateway broker-config`."]
    if site.run_as_user is not None:
        lines.append(f"user {site.run_as_user}")
    lines += [
        "per_listener_settings false",
        "allow_anonymous false",
        f"acl_file {site.acl_file}",
        "persistence true",
        f"persistence_location {site.persistence_dir}/",
        "persistence_file mosquitto.db",
        "autosave_interval 1",
        f"log_dest {site.log_dest}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        "log_timestamp true",
        f"message_size_limit {site.message_size_limit}",
        f"max_queued_messages {site.max_queued_messages}",
        f"max_inflight_messages {site.max_inflight_messages}",
        "",
        f"listener {site.port} {site.host}",
        "protocol mqtt",
        f"cafile {site.ca_file}",
        f"certfile {site.cert_file}",
        f"keyfile {site.key_file}",
        "require_certificate true",
        "use_identity_as_username true",
        "tls_version tlsv1.2",
    ]
    return "\n".join(lines) + "\n"


def write_files(site: BrokerSite, config_path: Path) -> None:
    """Write the config and its ACL (where ``site.acl_file`` says), readable by the broker
    only through its group: the ACL names the gateways' CNs, which is no secret but no one
    else's business either."""
    for path, text in ((site.acl_file, render_acl(site.gateway_usernames)),
                       (config_path, render_config(site))):  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o640)
