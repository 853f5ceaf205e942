"""Errors of device identity and signed results; ``reason`` is a ``SEC_*`` code that
docs/operations.md explains.

The class is the protocol's (``edge_sync/protocol/errors.py``): the records, their encoding and
their signature check live in ``edge_sync.protocol`` and raise it, and the device's own key and
PIN checks raise the same class, so one ``except SecurityError`` catches both."""

from __future__ import annotations

from edge_sync.protocol.errors import SecurityError

__all__ = ["SecurityError"]
