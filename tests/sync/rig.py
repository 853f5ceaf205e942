"""A whole deployment for the sync tests, built with the product's own commands.

Real parts only: the session's neo-go node with an IdvRegistry deployed by ``bdmi-gateway
deploy``, a Mosquitto with mutual TLS, gateway processes (``bdmi-gateway run``) and a kiosk
(its state dir, keyring, encrypted store, ``bdmi-sync``), each with its own certificate from
the test CA. The device is registered by ``bdmi-gateway device register`` (on chain too).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from neo3.wallet.account import Account
from neo3.wallet.wallet import DiskWallet

from edge_sync.protocol.result import DocumentRecord, Scores, VerificationResult, sign_result, uuid7
from edge_sync.protocol.signed import SignedResult
from kiosk.config import load_config
from kiosk.config.schema import KioskConfig
from kiosk.security.device_key import DeviceKey
from kiosk.security.identity import ensure_demo_identity
from kiosk.store import outbox
from kiosk.store.database import open_from_config, open_store, store_key_path
from kiosk.store.key import load_key
from tests.contracts.conftest import fund
from tests.harness.mosquitto import GATEWAY_USERNAMES
from tests.harness.neogo import _FAST_SCRYPT, NeoGoNode
from tests.harness.pki import CertPair, TestPki, issue_certificate

BIN = Path(sys.executable).parent
SITE = "demo-hospital"
PASSWORD = "rig-wallet-password"
SHARE_GROUP = "rig-gateways-" + secrets.token_hex(8)
"""The gateways' secret $share group (broker.share_group), one per test session."""


def command(name: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(BIN / name), *args], capture_output=True, text=True, timeout=timeout
    )
    return result


def make_wallet(path: Path, account: Account) -> Path:
    """A NEP-6 wallet file holding ``account`` as its default, and its password file."""
    wallet = DiskWallet(str(path), scrypt_params=_FAST_SCRYPT, accounts=[account],
                        default_account=account)  # fmt: skip
    wallet.save(PASSWORD)
    password_file = path.with_suffix(".password")
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    return password_file


@dataclass
class Chain:
    rpc_url: str
    contract_hash: str
    admin_wallet: Path
    gateway_wallet: Path
    gateway_key: str = ""
    """The gateway account's public key (hex), which signs the acks: kiosks pin it."""


def deploy_registry(node: NeoGoNode, workdir: Path) -> Chain:
    """Fund an admin and a gateway account, then ``bdmi-gateway deploy``."""
    workdir.mkdir(parents=True, exist_ok=True)
    admin, gateway = Account.create_new(_FAST_SCRYPT), Account.create_new(_FAST_SCRYPT)
    fund(node, [admin, gateway], gas=200)
    chain = Chain(node.rpc_url, "", workdir / "admin.json", workdir / "gateway.json",
                  gateway.public_key.encode_point(True).hex())  # fmt: skip
    make_wallet(chain.admin_wallet, admin)
    make_wallet(chain.gateway_wallet, gateway)
    config = workdir / "deploy.toml"
    config.write_text(_gateway_toml(chain, "sqlite:///" + str(workdir / "deploy.sqlite"), None))
    result = command(
        "bdmi-gateway", "--config", str(config), "deploy", "--build-dir", str(workdir / "build"),
        "--gateway-address", gateway.address,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    chain.contract_hash = json.loads(result.stdout)["contract_hash"]
    return chain


def _gateway_toml(chain: Chain, database: str, broker: str | None) -> str:
    lines = [f'database = "{database}"']
    if broker:
        lines.append(broker)
    lines += [
        "[chain]",
        f'rpc_url = "{chain.rpc_url}"',
        *([f'contract_hash = "{chain.contract_hash}"'] if chain.contract_hash else []),
        f'wallet_file = "{chain.gateway_wallet}"',
        f'wallet_password_file = "{chain.gateway_wallet.with_suffix(".password")}"',
        f'admin_wallet_file = "{chain.admin_wallet}"',
        f'admin_wallet_password_file = "{chain.admin_wallet.with_suffix(".password")}"',
        "receipt_timeout_s = 30",
        "[batch]",
        "max_size = 500",
        "interval_s = 0.5",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Gateway:
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN / "bdmi-gateway"), "--config", str(self.config), "run"],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return command("bdmi-gateway", "--config", str(self.config), *args)


def make_gateway(
    workdir: Path, chain: Chain, database: str, broker_host: str, broker_port: int,
    pki: TestPki, name: str,
) -> Gateway:  # fmt: skip
    """A gateway config (and its own client certificate) under ``workdir/name``."""
    home = workdir / name
    home.mkdir(parents=True, exist_ok=True)
    username = f"bdmi-gateway-{name}"
    assert username in GATEWAY_USERNAMES, f"{username} has no gateway role in the broker's ACL"
    cert = issue_certificate(pki.ca, home, "client", username, server=False)
    broker = "\n".join(
        [
            "[broker]",
            f'host = "{broker_host}"',
            f"port = {broker_port}",
            f'ca_file = "{pki.ca.cert}"',
            f'cert_file = "{cert.cert}"',
            f'key_file = "{cert.key}"',
            f'client_id = "bdmi-gateway-{name}"',
            f'share_group = "{SHARE_GROUP}"',
        ]
    )
    config = home / "gateway.toml"
    config.write_text(_gateway_toml(chain, database, broker), encoding="utf-8")
    return Gateway(config, home / "gateway.log")


@dataclass
class Kiosk:
    config_path: Path
    config: KioskConfig
    key: DeviceKey
    log: Path
    process: subprocess.Popen[bytes] | None = None
    clock_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))

    def start_sync(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN / "bdmi-sync"), "--config", str(self.config_path)],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def stop_sync(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def results(self, count: int) -> list[SignedResult]:
        """``count`` signed results as a check-in flow makes them (pseudonymous only)."""
        made = []
        for n in range(count):
            decided = self.clock_ms()
            record = VerificationResult(
                result_id=uuid7(decided),
                device_id=self.key.device_id,
                key_id=self.key.key_id,
                site=SITE,
                flow="hospital_checkin",
                assurance="EA5-",
                decision="pass" if n % 7 else "referred",
                reasons=("IDV_LIVENESS_PASSED",),
                scores=Scores(),
                document=DocumentRecord(type="cn_resident_id", chip_authentication="not_applicable",
                                        sam_authenticated=True),
                subject_ref=f"{n:064x}",
                started_ms=decided - 15_000,
                decided_ms=decided,
                app_version="rig",
            )  # fmt: skip
            made.append(sign_result(record, self.key))
        return made

    def record(self, signed: list[SignedResult]) -> None:
        db = open_from_config(self.config)
        try:
            for start in range(0, len(signed), 500):
                outbox.record_results(
                    db, signed[start : start + 500], actor_kind="patient_session",
                    actor_id="rig", now_ms=self.clock_ms(),
                )  # fmt: skip
        finally:
            db.close()

    def states(self) -> dict[str, int]:
        # Read-only (no migration, so no write lock): polling must not slow the agent down.
        db = open_store(self.config.database_path, load_key(store_key_path(self.config)),
                        migrate=False)  # fmt: skip
        try:
            return outbox.status(db, now_ms=self.clock_ms()).counts
        finally:
            db.close()

    def kioskctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return command("kioskctl", *args)


def make_kiosk(
    workdir: Path, broker_host: str, broker_port: int, pki: TestPki, chain: Chain | None,
    *, resend_after_s: float = 5.0,
) -> Kiosk:  # fmt: skip
    home = workdir / "kiosk"
    home.mkdir(parents=True, exist_ok=True)
    cert = CertPair(home / "device.pem", home / "device.key")  # issued below, once the id is known
    lines = [
        "[device]",
        f'site = "{SITE}"',
        'mode = "demo"',
        f'state_dir = "{home / "state"}"',
        "[logging]",
        'format = "kv"',
        f'level = "{os.environ.get("BDMI_RIG_LOG_LEVEL", "INFO")}"',
        "[sync]",
        "enabled = true",
        f'broker_host = "{broker_host}"',
        f"broker_port = {broker_port}",
        f'ca_file = "{pki.ca.cert}"',
        f'cert_file = "{cert.cert}"',
        f'key_file = "{cert.key}"',
        "window = 64",
        f"resend_after_s = {resend_after_s}",
        "health_interval_s = 2",
        "keepalive_s = 5",
        "rejected_retry_s = 10",
        "anchor_recheck_s = 20",
    ]
    if chain is not None:
        lines += [f'gateway_public_keys = ["{chain.gateway_key}"]']
        lines += [f'chain_rpc_url = "{chain.rpc_url}"',
                  f'registry_contract = "{chain.contract_hash}"']  # fmt: skip
    path = home / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(path)
    key = ensure_demo_identity(config)
    # The broker's ACL keeps a device to its own topics by its certificate's CN: as
    # provisioning does, the CN is the device id.
    issue_certificate(pki.ca, home, "device", key.device_id, server=False)
    open_from_config(config, create=True).close()
    return Kiosk(path, config, key, home / "bdmi-sync.log")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, poll: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
