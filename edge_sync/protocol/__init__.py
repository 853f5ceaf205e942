"""The contract the device and the gateway share: the signed records (verification result,
consent record) and their envelope, canonical encoding, the signature check, the MQTT wire
codecs and topics, Merkle trees and inclusion proofs, the offline bundle format, the ``Anchor``
value and the ``Outbox`` interface the sync agent works against.

Imports nothing from ``kiosk``, ``drivers``, ``edge_sync.agent`` or ``edge_sync.gateway``
(import-linter contracts in pyproject.toml)."""
