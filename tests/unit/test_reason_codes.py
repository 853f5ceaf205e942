"""Every reason code the product can show is explained in the technician guide.

A code on screen that docs/operations.md does not explain leaves a technician guessing, so the
guide is checked against the source: every string literal shaped like a reason code
(CFG_…, DRV_…, UI_…, IDV_…, STORE_…, AUDIT_…, SEC_…, GW_…, WIRE_…, PROOF_…, BUNDLE_…, OPS_…,
PROV_…, HIS_…)
in kiosk/, drivers/ and edge_sync/ must appear there.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PREFIXES = "CFG|DRV|UI|IDV|STORE|AUDIT|SEC|GW|WIRE|PROOF|BUNDLE|OPS|PROV|HIS"
CODE = re.compile(rf"^({PREFIXES})_[A-Z0-9_]*[A-Z0-9]$")  # not a prefix like DRV_MRZ_*


REGISTRY = REPO / "kiosk" / "reasons"
"""The words for each code (kiosk/reasons): it names codes, it does not emit them."""


def reason_codes_in_source(skip: Path | None = REGISTRY) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in ("kiosk", "drivers", "edge_sync"):
        for path in (REPO / package).rglob("*.py"):
            if skip is not None and path.is_relative_to(skip):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for word in re.findall(rf"\b(?:{PREFIXES})_[A-Z0-9_]+\b", node.value):
                        if CODE.match(word):
                            found.setdefault(word, path.relative_to(REPO))
    return found


def test_every_reason_code_is_in_the_technician_guide():
    guide = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    codes = reason_codes_in_source()
    assert len(codes) > 30  # the scan itself works
    missing = sorted(f"{code} ({path})" for code, path in codes.items() if f"`{code}`" not in guide)
    assert not missing, "reason codes not explained in docs/operations.md:\n" + "\n".join(missing)
