"""The site configuration provisioning writes into ``kiosk.toml``: merged, not replaced.

tomlkit edits the technician's file in place (comments, order, every other key and table
kept); only the keys below are set, and a path already configured is kept, so a site that
puts its secrets elsewhere stays that way. The merged text is validated with the same loader
``kioskctl config check`` uses *before* anything is created (a secret that provisioning is
about to create may be missing then, nothing else), and again after it is written.

Keys set: ``device.site``, ``device.mode = "production"``, ``store.key_file``,
``security.site_key_file``, ``sync.enabled``, ``sync.broker_host``, ``sync.broker_port``,
``sync.ca_file``, ``sync.cert_file``, ``sync.key_file``; after registration (step 6),
``sync.gateway_public_keys`` gets the registering gateway's ack key (``pin_gateway_key``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from kiosk.config import ConfigIssue, check_config
from kiosk.config.schema import KioskConfig
from kiosk.provision.errors import ProvisionError
from kiosk.provision.files import write_atomic

DEFAULT_STATE_DIR = Path("/var/lib/bdmi-kiosk")
_HEADER = "Site configuration: written by `kioskctl provision`; edit freely, it merges."


@dataclass(frozen=True)
class SitePlan:
    config: KioskConfig
    text: str
    original: str | None

    @property
    def changes(self) -> bool:
        return self.text != self.original


def _table(doc: Any, name: str) -> Table:
    found = doc.get(name)
    if not isinstance(found, Table):
        found = tomlkit.table()
        doc[name] = found
    return found


def _keep_or(table: Table, key: str, default: Path) -> None:
    if key not in table:
        table[key] = str(default)


def plan(
    path: Path, *, site: str | None, broker_host: str | None, broker_port: int | None
) -> SitePlan:
    """The config as it will be after provisioning, validated; nothing is written."""
    try:
        original = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        original = None
    except OSError as exc:
        raise ProvisionError(
            f"cannot read {path}: {exc.strerror}", reason="PROV_CONFIG_INVALID"
        ) from None
    try:
        doc = tomlkit.parse(original) if original is not None else tomlkit.document()
    except TOMLKitError as exc:
        raise ProvisionError(f"{path}: TOML syntax: {exc}", reason="PROV_CONFIG_INVALID") from None
    if original is None:
        doc.add(tomlkit.comment(_HEADER))
    device = _table(doc, "device")
    if site is not None:
        device["site"] = site
    elif "site" not in device:
        raise ProvisionError("the config names no site: give --site", reason="PROV_USAGE")
    device["mode"] = "production"
    state_dir = Path(str(device.get("state_dir", DEFAULT_STATE_DIR))).expanduser()
    _keep_or(_table(doc, "store"), "key_file", state_dir / "secrets" / "store.key")
    _keep_or(_table(doc, "security"), "site_key_file", state_dir / "secrets" / "site.key")
    sync = _table(doc, "sync")
    sync["enabled"] = True
    if broker_host is not None:
        sync["broker_host"] = broker_host
    elif "broker_host" not in sync:
        raise ProvisionError(
            "the config names no broker: give --broker HOST:PORT", reason="PROV_USAGE"
        )
    if broker_port is not None:
        sync["broker_port"] = broker_port
    _keep_or(sync, "ca_file", state_dir / "tls" / "ca.pem")
    _keep_or(sync, "cert_file", state_dir / "tls" / "device.pem")
    _keep_or(sync, "key_file", state_dir / "secrets" / "device-tls.key")
    text = tomlkit.dumps(doc)
    return SitePlan(_validate(path, text, before_secrets=True), text, original)


def _validate(path: Path, text: str, *, before_secrets: bool) -> KioskConfig:
    with tempfile.TemporaryDirectory(prefix="bdmi-provision-") as scratch:
        candidate = Path(scratch) / path.name
        candidate.write_text(text, encoding="utf-8")
        config, issues = check_config(candidate)
    tolerated = {"CFG_SECRET_MISSING"} if before_secrets else set()
    errors = [i for i in issues if i.severity == "error" and i.reason not in tolerated]
    if config is None or errors:
        shown = "; ".join(i.format(path) for i in errors) or "the file does not load"
        raise ProvisionError(
            f"the site config would be invalid: {shown}", reason="PROV_CONFIG_INVALID"
        )
    return config


def write(path: Path, site_plan: SitePlan) -> bool:
    """Write the merged config (whether it changed), then check it as ``kioskctl config
    check`` does, now that every secret exists."""
    changed = site_plan.changes
    if changed:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o640
        write_atomic(path, site_plan.text.encode("utf-8"), mode)
    config, issues = check_config(path)
    errors = [i for i in issues if i.severity == "error" and not _pin_not_set_yet(i)]
    if config is None or errors:
        shown = "; ".join(i.format(path) for i in errors)
        raise ProvisionError(f"kioskctl config check fails: {shown}", reason="PROV_CONFIG_INVALID")
    return changed


def pin_gateway_key(path: Path, key_hex: str) -> bool:
    """Add the registering gateway's ack key to ``sync.gateway_public_keys`` (kept with any
    pinned before: a site with several gateway accounts). True when the file changed."""
    text = path.read_text(encoding="utf-8")
    doc = tomlkit.parse(text)
    sync = _table(doc, "sync")
    pinned = [str(k) for k in sync.get("gateway_public_keys", [])]
    if key_hex in pinned:
        return False
    sync["gateway_public_keys"] = [*pinned, key_hex]
    new = tomlkit.dumps(doc)
    _validate(path, new, before_secrets=True)  # the staff PIN may be set later
    write_atomic(path, new.encode("utf-8"), path.stat().st_mode & 0o777)
    return True


def _pin_not_set_yet(issue: ConfigIssue) -> bool:
    """The staff PIN is set by staff after provisioning (``kioskctl pin set``), not here."""
    return issue.reason == "CFG_SECRET_MISSING" and issue.key == "security.service_pin_file"
