"""``kioskctl deprovision``: the device forgets who it is and everything it held.

What goes (each overwritten with random bytes, then deleted): the keyring and the machine
secret, the TLS key, its CSR and certificate, the registration record, the store with its WAL
and its key, the site key and the service PIN hash. Personal data lives only in the store,
which is encrypted under the store key: with the key overwritten and the file gone it cannot
be read back even from a disk image (on flash the overwrite is best effort; the deleted key is
what makes it unrecoverable). What stays: the config (it holds paths, no secret), the CA
bundle (public), and the deprovisioning log.

Where the audit survives: the ``device_deprovisioned`` entry is appended to the store's chain
first (so the chain's last word is the wipe), then one JSON line with that entry's head, the
device, the technician and the list of what was wiped is appended to
``<state_dir>/deprovisioned.jsonl`` (kept, no personal data) *before* anything is wiped, and
printed. Unsynced results (pending or sending: no gateway has them) block the wipe unless
forced, because deleting them loses verifications nobody else holds.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import check_config
from kiosk.config.schema import KioskConfig
from kiosk.provision.errors import ProvisionError
from kiosk.provision.files import shred
from kiosk.provision.steps import REGISTRATION_FILE
from kiosk.provision.tls import csr_path_for
from kiosk.security.device_key import Keyring
from kiosk.store import audit, outbox
from kiosk.store.database import open_from_config
from kiosk.store.errors import StoreError

LOG_FILE = "deprovisioned.jsonl"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class WipeOptions:
    config_path: Path
    technician: str
    force: bool = False


def load_tolerant(path: Path) -> KioskConfig:
    """The config even when a secret is missing (a half-provisioned device is wiped too)."""
    config, issues = check_config(path)
    errors = [i for i in issues if i.severity == "error" and i.reason != "CFG_SECRET_MISSING"]
    if config is None or errors:
        shown = "; ".join(i.format(path) for i in issues if i.severity == "error")
        raise ProvisionError(f"the config does not load: {shown}", reason="PROV_CONFIG_INVALID")
    return config


def targets(config: KioskConfig) -> list[Path]:
    """Every file the wipe removes, in the order it removes them (keys first)."""
    found: list[Path] = (
        sorted(config.keyring_dir.glob("*.json")) if config.keyring_dir.is_dir() else []
    )
    found.append(config.machine_secret_path)
    if config.sync.key_file is not None:
        found += [config.sync.key_file, csr_path_for(config.sync.key_file)]
    if config.sync.cert_file is not None:
        found.append(config.sync.cert_file)
    found.append(config.device.state_dir / REGISTRATION_FILE)
    db = config.database_path
    found += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    for secret in (
        config.store.key_file,
        config.security.site_key_file,
        config.security.service_pin_file,
    ):
        if secret is not None:
            found.append(secret)
    if config.device.mode == "demo" and config.store.key_file is None:
        found.append(config.device.state_dir / "store.key")
    return found


def unsynced(config: KioskConfig) -> tuple[int, Any]:
    """Results no gateway holds yet, and the open store (``None`` when there is none)."""
    if not config.database_path.exists():
        return 0, None
    try:
        db = open_from_config(config)
        counts = outbox.status(db, now_ms=int(time.time() * 1000)).counts
    except StoreError as exc:
        raise ProvisionError(
            f"the store does not open ({exc.reason}: {exc}); unsynced results cannot be "
            "counted: --force wipes it unread",
            reason="PROV_STORE_FAILED",
        ) from None
    return counts["pending"] + counts["sending"], db


def deprovision(options: WipeOptions, progress: Progress) -> dict[str, Any]:
    config = load_tolerant(options.config_path)
    records = Keyring.public_records(config.keyring_dir)
    device_id = records[0].device_id if records else None
    progress(f"[1/4] reading {options.config_path} ... ok: device {device_id or '(no key)'}")
    try:
        waiting, db = unsynced(config)
    except ProvisionError:
        if not options.force:
            raise
        waiting, db = -1, None
    if waiting > 0 and not options.force:
        if db is not None:
            db.close()
        raise ProvisionError(
            f"{waiting} results have not reached a gateway; wiping would lose them. Let "
            "bdmi-sync send them (kioskctl outbox status), export them (kioskctl outbox "
            "export), or give --force",
            reason="PROV_UNSYNCED_RESULTS",
        )
    progress(f"[2/4] unsynced results ... {'none' if waiting <= 0 else f'{waiting}, forced'}")
    now_ms = int(time.time() * 1000)
    head = None
    if db is not None:
        try:
            head = audit.append(
                db,
                at_ms=now_ms,
                actor_kind="technician",
                actor_id=options.technician,
                action="device_deprovisioned",
                record_kind="device",
                record_id=device_id,
                detail={"unsynced": max(waiting, 0), "forced": options.force},
            )
        finally:
            db.close()
    wiped = [p for p in targets(config) if p.exists()]
    record = {
        "action": "device_deprovisioned",
        "at_ms": now_ms,
        "device_id": device_id,
        "site": config.device.site,
        "technician": options.technician,
        "forced": options.force,
        "unsynced": max(waiting, 0),
        "audit_head": str(head) if head else None,
        "wiped": [str(p) for p in wiped],
    }
    log = config.device.state_dir / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")
    progress(f"[3/4] audit entry ... ok: {log} (audit head {record['audit_head']})")
    for path in wiped:
        shred(path)
    if config.keyring_dir.is_dir():
        shutil.rmtree(config.keyring_dir)
    progress(f"[4/4] wiping keys, certificates, store and secrets ... ok: {len(wiped)} files")
    return {"ok": True, **record}
