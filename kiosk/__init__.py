"""BDMI Kiosk: identity verification on the device (config, flows, IDV, store, UI, CLI)."""

__version__ = "0.1.0"
