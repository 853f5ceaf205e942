"""The gateway's settlement and consent configuration, and the ``deploy --contract`` options.

No services: the config is validated strictly (unknown keys, one payer per site, hashes), and
the ``ADDRESS=INTEGER`` option parser is fuzzed: whatever an operator types, it answers with
pairs or a ``DeployUsageError`` (``GW_USAGE``), never another exception.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from neo3.wallet.account import Account

from edge_sync.gateway.config import GatewayConfig, GatewayConfigError, load_gateway_config
from edge_sync.gateway.deploy_contracts import DeployUsageError, _pairs, deploy_other

HASH = "0x" + "ab" * 20
PAYER = """
[[settlement.payers]]
sites = ["{site}"]
wallet_file = "/etc/bdmi-gateway/payer.json"
wallet_password_file = "/etc/bdmi-gateway/payer.password"
fee_per_result = 150
"""


def config(tmp_path: Path, text: str) -> GatewayConfig:
    path = tmp_path / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return load_gateway_config(path)


def test_settlement_and_consent_sections_load(tmp_path: Path) -> None:
    loaded = config(
        tmp_path,
        f'[settlement]\ncontract_hash = "{HASH}"\n{PAYER.format(site="H-0001")}'
        f'[consent]\ncontract_hash = "{HASH}"\n'
        f'[[consent.relying_parties]]\nid = "ins-001"\naccount = "{HASH}"\n',
    )
    assert loaded.settlement is not None and loaded.consent is not None
    [payer] = loaded.settlement.payers
    assert (payer.sites, payer.fee_per_result) == (["H-0001"], 150)
    assert loaded.consent.relying_parties[0].account == HASH


def test_without_the_sections_nothing_follows_up(tmp_path: Path) -> None:
    loaded = config(tmp_path, "")
    assert loaded.settlement is None and loaded.consent is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f'[settlement]\ncontract_hash = "{HASH}"\n' + PAYER.format(site="H-1") * 2,
         "more than one payer"),
        ('[settlement]\ncontract_hash = "0x1234"\n', "settlement.contract_hash"),
        (f'[settlement]\ncontract_hash = "{HASH}"\nfee = 3\n', "settlement.fee"),
        (f'[settlement]\ncontract_hash = "{HASH}"\n'
         + PAYER.format(site="H-1").replace("150", "0"), "fee_per_result"),
        (f'[consent]\ncontract_hash = "{HASH}"\n[[consent.relying_parties]]\nid = "INS 1"\n'
         f'account = "{HASH}"\n', "relying_parties.0.id"),
    ],
)  # fmt: skip
def test_bad_sections_are_refused_with_the_key(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(GatewayConfigError) as refused:
        config(tmp_path, text)
    assert str(refused.value).startswith("CFG_INVALID_VALUE")
    assert where in str(refused.value)


def test_address_pairs_parse() -> None:
    account = Account.create_new()
    [(parsed, bps)] = _pairs([f"{account.address}=2500"], "--payee")
    assert (parsed, bps) == (account.script_hash, 2500)
    [(by_hash, amount)] = _pairs([f"0x{account.script_hash}=7"], "--mint")
    assert (by_hash, amount) == (account.script_hash, 7)


ADDRESS = Account.create_new().address
OPTION = st.one_of(
    st.text(max_size=60),
    st.builds(lambda amount: f"{ADDRESS}={amount}", st.text(max_size=12)),
    st.builds(lambda head: f"0x{head}=1", st.text(alphabet="0123456789abcdefABCDEF", max_size=42)),
)


@given(st.lists(OPTION, max_size=4))
@example([f"{ADDRESS}=²"])  # str.isdigit() says yes, int() says no
def test_any_option_text_is_pairs_or_a_usage_error(values: list[str]) -> None:
    try:
        pairs = _pairs(values, "--payee")
    except DeployUsageError as refused:
        assert "--payee" in str(refused)
    else:
        assert len(pairs) == len(values)
        assert all(amount >= 0 for _, amount in pairs)


def test_settlement_deploy_needs_its_options(tmp_path: Path) -> None:
    args = argparse.Namespace(
        contract="settlement", payee=None, mint=None, registry=None, token=None, fee=None,
        build_dir=str(tmp_path), gateway_address=None,
    )  # fmt: skip
    with pytest.raises(DeployUsageError, match="--registry, --token, --fee and --payee"):
        deploy_other(GatewayConfig(), args, Account.create_new())
    assert list(tmp_path.iterdir()) == []  # refused before compiling anything
