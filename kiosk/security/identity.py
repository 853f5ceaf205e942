"""The device's identity as a config names it: its keyring, unlocked by its machine secret.

Every process that signs or needs to know which device it runs on (the kiosk, the sync
agent, ``kioskctl backup``) goes through here, so they all agree on the paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.security.device_key import (
    DeviceKey,
    Keyring,
    create_machine_secret,
    read_machine_secret,
)
from kiosk.security.errors import SecurityError

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig


def keyring_from_config(config: KioskConfig) -> Keyring:
    """The keyring, unlockable; ``SEC_MACHINE_SECRET_MISSING`` when not provisioned."""
    return Keyring(config.keyring_dir, read_machine_secret(config.machine_secret_path))


def device_id_from_config(config: KioskConfig) -> str:
    """The device id from the keyring's public records (no unlocking needed)."""
    records = Keyring.public_records(config.keyring_dir)
    if not records:
        raise SecurityError(
            f"no device key in {config.keyring_dir} (kioskctl provision creates one)",
            reason="SEC_KEY_MISSING",
        )
    return records[0].device_id


def ensure_demo_identity(config: KioskConfig) -> DeviceKey:
    """A demo kiosk makes its own machine secret and key at first start; a production one
    is provisioned (``kioskctl provision``), never self-created here."""
    if config.device.mode != "demo":
        return keyring_from_config(config).active()
    if not config.machine_secret_path.exists():
        create_machine_secret(config.machine_secret_path)
    keyring = keyring_from_config(config)
    if not keyring.records():
        return keyring.create()
    return keyring.active()
