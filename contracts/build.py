"""Compile the project's neo3-boa contracts to ``.nef`` + ``.manifest.json``.

Why a helper: the tests and the gateway's deploy step must compile the same source the same
way, into a directory of their choosing (a temp dir in tests, ``contracts/build/`` by default,
which git ignores): build output is never committed, so what is deployed is always what the
source says.  neo3-boa is a development dependency, imported only when compiling; a gateway
host deploys prebuilt artifacts and does not need it.

    python -m contracts.build [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

CONTRACTS_DIR = Path(__file__).resolve().parent
DEFAULT_OUTPUT = CONTRACTS_DIR / "build"
IDV_REGISTRY = CONTRACTS_DIR / "idv_registry.py"
SETTLEMENT = CONTRACTS_DIR / "settlement.py"
DATA_REGISTRY = CONTRACTS_DIR / "data_registry.py"
TEST_TOKEN = CONTRACTS_DIR / "test_token.py"
"""A NEP-17 with an admin mint: private networks (tests, demo) only."""
ALL_CONTRACTS = (IDV_REGISTRY, SETTLEMENT, DATA_REGISTRY, TEST_TOKEN)


class ContractBuildError(RuntimeError):
    """The compiler refused the source or produced no artifacts."""


@dataclass(frozen=True)
class ContractArtifacts:
    """Paths of one compiled contract."""

    nef: Path
    manifest: Path


def compile_contract(source: Path, output_dir: Path = DEFAULT_OUTPUT) -> ContractArtifacts:
    """Compile ``source`` with neo3-boa into ``output_dir/<stem>.nef`` and
    ``<stem>.manifest.json``; stale artifacts are removed first, so a failed compile can never
    leave an old contract behind to be deployed by mistake."""
    try:
        from boa3.boa3 import Boa3  # dev dependency: imported on use
    except ImportError as exc:
        raise ContractBuildError("neo3-boa is not installed (pip install neo3-boa)") from exc
    if not source.is_file():
        raise ContractBuildError(f"contract source {source} does not exist")
    output_dir.mkdir(parents=True, exist_ok=True)
    artifacts = ContractArtifacts(
        nef=output_dir / f"{source.stem}.nef",
        manifest=output_dir / f"{source.stem}.manifest.json",
    )
    for stale in (artifacts.nef, artifacts.manifest):
        stale.unlink(missing_ok=True)
    try:
        Boa3.compile_and_save(str(source), output_path=str(artifacts.nef))
    except Exception as exc:  # neo3-boa raises its own exception types for each compiler error
        raise ContractBuildError(f"neo3-boa could not compile {source}: {exc}") from exc
    if not (artifacts.nef.is_file() and artifacts.manifest.is_file()):
        raise ContractBuildError(f"neo3-boa produced no artifacts for {source} in {output_dir}")
    return artifacts


def main(argv: list[str] | None = None) -> int:
    """Compile every contract of the project (progress on stderr, artifact paths on stdout)."""
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    for number, source in enumerate(ALL_CONTRACTS, 1):
        print(f"[{number}/{len(ALL_CONTRACTS)}] compiling {source.name} ...", file=sys.stderr)
        artifacts = compile_contract(source, output)
        print(artifacts.nef)
        print(artifacts.manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
