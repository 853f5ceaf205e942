"""``kioskctl provision``: seven steps from a blank device to a registered one.

Each step looks first and acts only on what is missing, so a second run reports "already
done" seven times and changes nothing, and a run that failed (wrong CA, gateway down) is
simply run again once the cause is fixed: what was made before is kept, never remade (a
device key above all: the device id is its script hash and is forever). The run stops at the
first failure because every step needs the ones before it.

1. device key: the machine secret and the keyring (kiosk/security), created once;
2. certificate request: a P-256 TLS key of its own and its CSR next to it;
3. client certificate: signed by the site CA given, or imported; checked against the key,
   the device, the site and the CA bundle;
4. site secrets: the store key (made here) and the site key (brought);
5. site config: merged into kiosk.toml and checked like ``kioskctl config check``;
6. registration: a signed request over MQTT to the gateway (kiosk/provision/registration_client.py);
7. audit entry: ``device_provisioned`` in the store, actor the technician.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from edge_sync.protocol.ack_signature import answer_holds_its_key
from edge_sync.protocol.device_cert import fingerprint
from edge_sync.protocol.mqtt_session import BrokerSettings
from edge_sync.protocol.registration_wire import RegistrationRequest, new_request_id
from kiosk.config.schema import KioskConfig
from kiosk.provision import site_config, site_secrets, tls
from kiosk.provision.errors import ProvisionError
from kiosk.provision.files import hand_over, write_atomic
from kiosk.provision.registration_client import RegistrationFailed, register
from kiosk.security.device_key import DeviceKey, Keyring, create_machine_secret
from kiosk.security.errors import SecurityError
from kiosk.security.identity import keyring_from_config
from kiosk.store import audit
from kiosk.store.database import open_from_config
from kiosk.store.errors import StoreError

STEPS = (
    "device key",
    "certificate request",
    "client certificate",
    "site secrets",
    "site config",
    "registering with the gateway",
    "audit entry",
)
REGISTRATION_FILE = "registration.json"


@dataclass(frozen=True)
class Options:
    config_path: Path
    technician: str
    site: str | None = None
    broker_host: str | None = None
    broker_port: int | None = None
    site_ca: tuple[Path, Path] | None = None
    import_cert: Path | None = None
    ca_file: Path | None = None
    site_key: Path | None = None
    timeout_s: float = 60.0


@dataclass
class StepResult:
    name: str
    status: str  # done, already done, failed
    message: str = ""
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.name,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass
class Report:
    steps: list[StepResult] = field(default_factory=list)
    device_id: str | None = None
    site: str | None = None

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.steps) and len(self.steps) == len(STEPS)

    def as_dict(self) -> dict[str, Any]:
        failed = next((s for s in self.steps if s.status == "failed"), None)
        return {
            "ok": self.ok,
            "device_id": self.device_id,
            "site": self.site,
            "reason": failed.reason if failed else None,
            "steps": [s.as_dict() for s in self.steps],
        }


Progress = Callable[[str], None]


@dataclass
class _Run:
    options: Options
    config: KioskConfig
    site_plan: site_config.SitePlan
    progress: Progress
    key: DeviceKey | None = None
    tls_key: Any = None
    csr: x509.CertificateSigningRequest | None = None
    cert: x509.Certificate | None = None
    cert_mode: str = "kept"
    registered: str = "kept"
    made: list[Path] = field(default_factory=list)

    @property
    def tls_paths(self) -> tls.TlsPaths:
        sync = self.config.sync
        assert sync.key_file and sync.cert_file and sync.ca_file  # the plan sets all three
        return tls.TlsPaths(
            sync.key_file, tls.csr_path_for(sync.key_file), sync.cert_file, sync.ca_file
        )

    # 1 ------------------------------------------------------------------------------------
    def device_key(self) -> str:
        config = self.config
        records = Keyring.public_records(config.keyring_dir)
        if records:
            try:
                self.key = keyring_from_config(config).active()
            except SecurityError as exc:
                raise ProvisionError(
                    f"the keyring holds device {records[0].device_id} but it does not open "
                    f"({exc}); restore the machine secret, or deprovision first",
                    reason="PROV_KEY_LOCKED",
                ) from None
            return f"already done: device {self.key.device_id}"
        if not config.machine_secret_path.exists():
            create_machine_secret(config.machine_secret_path)
            self.made.append(config.machine_secret_path)
        self.key = keyring_from_config(config).create()
        self.made += [config.keyring_dir, *config.keyring_dir.glob("0x*.json")]
        return f"device {self.key.device_id}"

    # 2 ------------------------------------------------------------------------------------
    def certificate_request(self) -> str:
        assert self.key is not None
        paths = self.tls_paths
        self.tls_key, key_new = tls.ensure_key(paths.key)
        self.csr, csr_new = tls.ensure_csr(
            paths.csr, self.tls_key, self.key.device_id, self.config.device.site
        )
        self.made += [paths.key, paths.csr]
        der = self.csr.public_bytes(serialization.Encoding.DER)
        what = f"{paths.csr} (SHA-256 {fingerprint(der)[:16]}...)"
        return what if key_new or csr_new else f"already done: {what}"

    # 3 ------------------------------------------------------------------------------------
    def client_certificate(self) -> str:
        assert self.key is not None and self.csr is not None
        options, paths = self.options, self.tls_paths
        ca_source = options.ca_file or (options.site_ca[0] if options.site_ca else None)
        ca_changed = tls.install_ca(paths.ca, ca_source)
        self.cert, self.cert_mode = tls.ensure_certificate(
            paths,
            self.tls_key,
            self.csr,
            self.key.device_id,
            self.config.device.site,
            site_ca=options.site_ca,
            import_cert=options.import_cert,
        )
        self.made += [paths.cert, paths.ca]
        until = f"valid until {self.cert.not_valid_after_utc:%Y-%m-%d}"
        if self.cert_mode == "kept" and not ca_changed:
            return f"already done: {paths.cert}, {until}"
        return f"{self.cert_mode}: {paths.cert}, {until}"

    # 4 ------------------------------------------------------------------------------------
    def site_secrets(self) -> str:
        config = self.config
        assert config.store.key_file and config.security.site_key_file
        store_new = site_secrets.ensure_store_key(config.store.key_file)
        site_new = site_secrets.ensure_site_key(
            config.security.site_key_file, self.options.site_key
        )
        self.made += [config.store.key_file, config.security.site_key_file]
        made = [n for n, new in (("store key", store_new), ("site key", site_new)) if new]
        return f"installed {', '.join(made)}" if made else "already done"

    # 5 ------------------------------------------------------------------------------------
    def site_config(self) -> str:
        path = self.options.config_path
        changed = site_config.write(path, self.site_plan)
        self.made.append(path)
        return f"{path} written and checked" if changed else f"already done: {path} checks ok"

    # 6 ------------------------------------------------------------------------------------
    def registration(self) -> str:
        assert self.key is not None and self.cert is not None and self.csr is not None
        config = self.config
        marker = config.device.state_dir / REGISTRATION_FILE
        cert_der = self.cert.public_bytes(serialization.Encoding.DER)
        wanted = {
            "device_id": self.key.device_id,
            "site": config.device.site,
            "cert_sha256": fingerprint(cert_der),
        }
        if _marker_matches(marker, wanted):
            return "already done"
        request = RegistrationRequest(
            request_id=new_request_id(),
            device_id=self.key.device_id,
            site=config.device.site,
            public_key=self.key.public_key,
            certificate=cert_der,
            csr=self.csr.public_bytes(serialization.Encoding.DER),
            requested_at_ms=int(time.time() * 1000),
        )
        signed = RegistrationRequest(
            **{**_fields(request), "signature": self.key.sign(request.signed_bytes())}
        )
        sync = config.sync
        broker = BrokerSettings(
            sync.broker_host,
            sync.broker_port,
            sync.ca_file,
            sync.cert_file,
            sync.key_file,
            keepalive_s=sync.keepalive_s,
            session_expiry_s=0,
        )
        self.progress(f"      publishing to {sync.broker_host}:{sync.broker_port} ...")
        try:
            ack = register(
                broker,
                signed,
                timeout_s=self.options.timeout_s,
                progress=lambda line: self.progress(f"      {line}"),
            )
        except RegistrationFailed as exc:
            raise ProvisionError(str(exc).partition(": ")[2], reason=exc.reason) from None
        if not answer_holds_its_key(ack):
            raise ProvisionError(
                "the gateway's answer names no ack key, or is not signed by it: this device "
                "could not check any ack; update the gateway",
                reason="PROV_GATEWAY_KEY",
            )
        assert ack.gateway_key is not None
        site_config.pin_gateway_key(self.options.config_path, ack.gateway_key.hex())
        record = {
            **wanted,
            "tx_hash": ack.tx_hash,
            "gateway_key": ack.gateway_key.hex(),
            "at_ms": int(time.time() * 1000),
        }
        write_atomic(marker, (json.dumps(record, indent=2) + "\n").encode(), 0o644)
        self.made.append(marker)
        self.registered = "already" if ack.already else "new"
        if ack.already:
            return "done: the gateway had it registered already"
        return f"registered on chain (transaction {ack.tx_hash})"

    # 7 ------------------------------------------------------------------------------------
    def audit_entry(self, changed_steps: int) -> str:
        assert self.key is not None
        try:
            db = open_from_config(self.config, create=True)
        except StoreError as exc:
            raise ProvisionError(str(exc), reason="PROV_STORE_FAILED") from None
        self.made.append(self.config.database_path)
        try:
            with db.bound():
                seen = db.execute_sql(
                    "SELECT count(*) FROM audit_entry WHERE action = 'device_provisioned' "
                    "AND record_id = ?",
                    (self.key.device_id,),
                ).fetchone()[0]
                if seen and changed_steps == 0:
                    return "already done"
                entry = audit.append(
                    db,
                    at_ms=int(time.time() * 1000),
                    actor_kind="technician",
                    actor_id=self.options.technician,
                    action="device_provisioned",
                    record_kind="device",
                    record_id=self.key.device_id,
                    detail={
                        "site": self.config.device.site,
                        "changed_steps": changed_steps,
                        "certificate": self.cert_mode,
                        "registration": self.registered,
                    },
                )
        except StoreError as exc:
            raise ProvisionError(str(exc), reason="PROV_STORE_FAILED") from None
        finally:
            db.close()
        return f"device_provisioned, audit head {entry}"


def _fields(request: RegistrationRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in request.__dataclass_fields__}


def _marker_matches(marker: Path, wanted: dict[str, str]) -> bool:
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and all(found.get(k) == v for k, v in wanted.items())


def provision(options: Options, progress: Progress) -> Report:
    report = Report()
    total = len(STEPS)
    try:
        plan = site_config.plan(
            options.config_path,
            site=options.site,
            broker_host=options.broker_host,
            broker_port=options.broker_port,
        )
    except ProvisionError as exc:
        progress(f"[0/{total}] reading {options.config_path} ... FAILED {exc.reason}: {exc}")
        report.steps.append(StepResult("site config", "failed", str(exc), exc.reason))
        return report
    run = _Run(options, plan.config, plan, progress)
    report.site = plan.config.device.site
    changed = 0
    actions: list[Callable[[], str]] = [
        run.device_key,
        run.certificate_request,
        run.client_certificate,
        run.site_secrets,
        run.site_config,
        run.registration,
    ]
    try:
        for index, name in enumerate(STEPS, start=1):
            try:
                message = (
                    actions[index - 1]() if index <= len(actions) else run.audit_entry(changed)
                )
            except ProvisionError as exc:
                progress(f"[{index}/{total}] {name} ... FAILED {exc.reason}: {exc}")
                report.steps.append(StepResult(name, "failed", str(exc), exc.reason))
                return report
            if run.key is not None:
                report.device_id = run.key.device_id
            already = message.startswith("already done")
            changed += 0 if already else 1
            detail = message.removeprefix("already done").removeprefix(": ")
            outcome = "already done" if already else "ok"
            progress(f"[{index}/{total}] {name} ... {outcome}{': ' + detail if detail else ''}")
            report.steps.append(StepResult(name, outcome if already else "done", message))
    finally:
        hand_over(run.made, plan.config.device.state_dir)
    return report
