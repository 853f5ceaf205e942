"""BDMI Kiosk: identity verification on the device (config, flows, IDV, store, UI, CLI)."""

from edge_sync.protocol.version import APP_VERSION as __version__

__all__ = ["__version__"]
