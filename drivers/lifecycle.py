"""``with reader:`` for every device that has ``open()`` and ``close()``."""

from __future__ import annotations

from typing import Self


class OpenCloseContext:
    """Mixin: entering opens the device, leaving closes it, whatever happened inside."""

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
