"""The gateway's configuration: one TOML file, validated strictly (like the kiosk's)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrokerConfig(_Strict):
    host: str = "localhost"
    port: Annotated[int, Field(ge=1, le=65535)] = 8883
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    client_id: str = "bdmi-gateway-1"
    """Unique per gateway process: several gateways share the load through $share."""
    share_group: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{22,64}$")] | None = None
    """The name of the gateways' shared subscription group, a site secret that every gateway
    of the site holds (``bdmi-gateway broker-config`` makes one). Required by ``run``. Secret
    because the broker cannot refuse a device certificate a subscription, only deliveries: a
    device in the gateways' group would be dealt results that are then dropped."""
    session_expiry_s: Annotated[int, Field(ge=0, le=7 * 24 * 3600)] = 0
    """0 (the default): the broker forgets a gateway's subscription as soon as it drops. A
    gateway that kept a session while down would go on being dealt its share of the results
    (Mosquitto queues them for it) and those would wait for it instead of going to the live
    gateways; the devices resend whatever no gateway acknowledged, so nothing is lost."""


class ChainConfig(_Strict):
    rpc_url: str = "http://localhost:10332"
    contract_hash: Annotated[str, Field(pattern=r"^0x[0-9a-f]{40}$")] | None = None
    """The deployed IdvRegistry (``bdmi-gateway deploy`` prints it)."""
    wallet_file: Path | None = None
    """NEP-6 wallet holding the gateway's account (the only one allowed to anchor)."""
    wallet_password_file: Path | None = None
    admin_wallet_file: Path | None = None
    """NEP-6 wallet of the registry admin: only on the machine that registers devices."""
    admin_wallet_password_file: Path | None = None
    receipt_timeout_s: Annotated[float, Field(ge=1, le=600)] = 60.0


class BatchConfig(_Strict):
    max_size: Annotated[int, Field(ge=1, le=10000)] = 500
    interval_s: Annotated[float, Field(ge=0.1, le=3600)] = 10.0


HASH160 = r"^0x[0-9a-f]{40}$"


class PayerConfig(_Strict):
    """A relying party's paying account (a hospital's or insurer's prepaid NEO account, whose
    key it entrusts to the operator's gateway) and the sites whose results it pays for."""

    sites: Annotated[list[str], Field(min_length=1)]
    wallet_file: Path
    wallet_password_file: Path
    fee_per_result: Annotated[int, Field(ge=1)]
    """The fee this payer agreed to, in the token's smallest unit. The gateway pays only while
    the contract's fee is exactly this (``GW_SETTLEMENT_FEE_MISMATCH`` otherwise), so an
    admin's change of the tariff never spends a payer's tokens unannounced."""


class SettlementConfig(_Strict):
    """FeeSettlement: after a batch is anchored, each payer pays for its sites' results."""

    contract_hash: Annotated[str, Field(pattern=HASH160)]
    payers: list[PayerConfig] = []

    @field_validator("payers")
    @classmethod
    def _one_payer_per_site(cls, payers: list[PayerConfig]) -> list[PayerConfig]:
        seen: set[str] = set()
        for payer in payers:
            for site in payer.sites:
                if site in seen:
                    raise ValueError(f"site {site} has more than one payer")
                seen.add(site)
        return payers


class RelyingPartyConfig(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    """The id the kiosks' consent records name (``relying_party``, e.g. ``ins-001``)."""
    account: Annotated[str, Field(pattern=HASH160)]
    """Its NEO account (script hash), used when a consent record names none."""


class ConsentConfig(_Strict):
    """ConsentRegistry: accepted consents are recorded on chain once their batch is anchored."""

    contract_hash: Annotated[str, Field(pattern=HASH160)]
    relying_parties: list[RelyingPartyConfig] = []


class RegistrationConfig(_Strict):
    """Devices registering themselves over MQTT (``kioskctl provision``;
    edge_sync/gateway/registration.py).
    Needs ``chain.admin_wallet_file``: the gateway registers them on chain as the admin."""

    enabled: bool = False
    ca_file: Path | None = None
    """The site CA(s) that issue device certificates (PEM bundle); default ``broker.ca_file``."""


class GatewayConfig(_Strict):
    database: str = "sqlite:////var/lib/bdmi-gateway/gateway.sqlite"
    """``sqlite:///PATH`` (one gateway) or ``postgresql://user@host/db`` (a fleet)."""
    broker: BrokerConfig = BrokerConfig()
    chain: ChainConfig = ChainConfig()
    batch: BatchConfig = BatchConfig()
    settlement: SettlementConfig | None = None
    """Absent: no fees are settled."""
    consent: ConsentConfig | None = None
    """Absent: consents are anchored in batches like any result, but not recorded."""
    registration: RegistrationConfig = RegistrationConfig()


class GatewayConfigError(ValueError):
    pass


def load_gateway_config(path: Path) -> GatewayConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GatewayConfigError(f"CFG_NOT_FOUND: {path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise GatewayConfigError(f"CFG_SYNTAX: {path}: {exc}") from exc
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise GatewayConfigError(f"CFG_INVALID_VALUE: {path}: {problems}") from exc
