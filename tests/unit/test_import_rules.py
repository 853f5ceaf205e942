"""The import rules of pyproject.toml's ``[tool.importlinter]`` hold.

Why: the device, its sync agent and the chain gateway share one contract (``edge_sync.protocol``)
and must not reach into each other: the gateway is a server that never loads device code, the
agent knows the kiosk's store only through the protocol's ``Outbox`` interface, and only the
``bdmi-sync`` entry point (``kiosk/sync/entry.py``) wires the two. docs/architecture.md gives the
reason for each rule. ``lint-imports`` (import-linter) checks them over every import, those
inside functions and under ``TYPE_CHECKING`` included; running it here puts it in the test
command, so a forbidden import fails the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} missing: is the dev extra installed?"
    done = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout, done.stdout
