"""Errors of device identity and signed results; ``reason`` is a ``SEC_*`` code that
docs/operations.md explains."""

from __future__ import annotations

from kiosk.errors import ReasonError


class SecurityError(ReasonError):
    reason = "SEC_ERROR"
