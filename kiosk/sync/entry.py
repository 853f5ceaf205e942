"""``bdmi-sync``: the kiosk's store handed to the sync agent.

The agent (``edge_sync.agent``) knows nothing of the kiosk: it works against the ``Outbox``
interface of ``edge_sync.protocol``. This module is the one place where the two meet: it reads
the kiosk's configuration, opens the encrypted store, wraps it as an ``Outbox``
(``kiosk/sync/store_outbox.py``) and runs the agent until SIGTERM. It is the only kiosk module
that imports ``edge_sync.agent`` (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from edge_sync.agent import AgentSettings, SyncAgent
from kiosk.config import ConfigError, KioskConfig, load_config, resolve_path
from kiosk.config.sync import broker_from_config
from kiosk.log import configure_logging
from kiosk.security.errors import SecurityError
from kiosk.security.identity import device_id_from_config
from kiosk.store.database import open_from_config
from kiosk.store.errors import StoreError
from kiosk.sync.store_outbox import StoreOutbox

log = logging.getLogger(__name__)


def settings_from_config(config: KioskConfig, device_id: str) -> AgentSettings:
    sync = config.sync
    return AgentSettings(
        site=config.device.site,
        device_id=device_id,
        broker=broker_from_config(config),
        window=sync.window,
        resend_after_s=sync.resend_after_s,
        health_interval_s=sync.health_interval_s,
        state_dir=config.device.state_dir,
        gateway_keys=tuple(bytes.fromhex(key) for key in sync.gateway_public_keys),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT. Exit 0 on a clean stop, 1 when it cannot start (the reason
    code says why), 3 when sync is disabled in the config (systemd does not restart it)."""
    parser = argparse.ArgumentParser(prog="bdmi-sync", description="BDMI device sync agent")
    parser.add_argument(
        "--config", help="kiosk config file (default: $BDMI_CONFIG or /etc/bdmi-kiosk/kiosk.toml)"
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(resolve_path(args.config))
    except ConfigError as exc:
        print(f"bdmi-sync: cannot start, configuration invalid:\n{exc}", file=sys.stderr)
        return 1
    configure_logging(config.logging.level, config.logging.format)
    if not config.sync.enabled:
        print("bdmi-sync: sync.enabled = false in the config; nothing to do", file=sys.stderr)
        return 3
    if not config.sync.gateway_public_keys:
        print(
            "bdmi-sync: cannot start: SYNC_NO_GATEWAY_KEY: sync.gateway_public_keys is empty, so "
            "no ack could be checked (`bdmi-gateway ack-key` prints the key; provisioning pins it)",
            file=sys.stderr,
        )
        return 1
    try:
        device_id = device_id_from_config(config)
        db = open_from_config(config)
    except (SecurityError, StoreError) as exc:
        print(f"bdmi-sync: cannot start: {exc.reason}: {exc}", file=sys.stderr)
        return 1
    outbox = StoreOutbox(
        db,
        rejected_retry_ms=config.sync.rejected_retry_s * 1000,
        anchor_recheck_ms=config.sync.anchor_recheck_s * 1000,
    )
    agent = SyncAgent(settings_from_config(config, device_id), outbox)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("sync agent started", extra={"device_id": device_id, "site": config.device.site})
    try:
        agent.run(stop)
    finally:
        db.close()
    log.info("sync agent stopped", extra=dict(agent.counters))
    return 0


if __name__ == "__main__":
    sys.exit(main())
