"""What the checks share: the config, the clock, and one store connection opened on demand.

The store is opened once per round (disk, integrity, audit and clock checks all read it) and
only read: not migrated and never created, so a self-test on a kiosk that has not started yet
reports ``STORE_NOT_FOUND`` instead of leaving an empty store behind that then "verifies".
When it cannot be opened, every check that needs it gets the same ``StoreError`` and reports
that reason; the ones that can do without it carry on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk.store.errors import StoreError

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig
    from kiosk.store.database import StoreDatabase


@dataclass
class CheckContext:
    config: KioskConfig
    wall_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))
    _db: StoreDatabase | None = None
    _error: StoreError | None = None

    def store(self) -> StoreDatabase:
        """The kiosk's store, opened read-only on first use; raises the ``StoreError`` it
        failed with (the same one to every caller)."""
        if self._db is not None:
            return self._db
        if self._error is not None:
            raise self._error
        from kiosk.store.capacity import CapacityPolicy
        from kiosk.store.database import open_store, store_key_path
        from kiosk.store.key import load_key
        from kiosk.store.migrations import schema_version

        config = self.config
        try:
            db = open_store(
                config.database_path,
                load_key(store_key_path(config)),
                capacity=CapacityPolicy.from_config(config.store),
                migrate=False,
            )
            if schema_version(db) == 0:
                db.close()
                raise StoreError(
                    f"{config.database_path} holds no kiosk store", reason="STORE_NOT_FOUND"
                )
        except StoreError as exc:
            self._error = exc
            raise
        self._db = db
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._error = None
