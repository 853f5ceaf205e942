"""Where the read-only shared data set lives: ``$BDMI_SHARED_DATA``, else ``../shared/data``
next to the repository. Tests read it in place (it is never copied into the repo) and skip
only when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path | None:
    configured = os.environ.get("BDMI_SHARED_DATA")
    candidate = Path(configured) if configured else REPO.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def require_shared_data(*parts: str) -> Path:
    """The path under the shared data set, or skip the test if the set is absent."""
    root = shared_data_dir()
    if root is None:
        pytest.skip("shared data set not found (set BDMI_SHARED_DATA)")
    return root.joinpath(*parts)
