"""Kiosk configuration: a strict TOML schema and a loader that names key and line."""

from kiosk.config.loader import (
    DEFAULT_PATH,
    ENV_VAR,
    ConfigError,
    ConfigIssue,
    check_config,
    load_config,
    resolve_path,
)
from kiosk.config.schema import KioskConfig

__all__ = [
    "DEFAULT_PATH",
    "ENV_VAR",
    "ConfigError",
    "ConfigIssue",
    "KioskConfig",
    "check_config",
    "load_config",
    "resolve_path",
]
