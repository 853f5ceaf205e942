"""One error type for every provisioning step, with the ``PROV_*`` reason a technician looks
up in docs/operations.md."""

from __future__ import annotations


class ProvisionError(Exception):
    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
