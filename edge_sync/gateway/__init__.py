"""The chain gateway (``bdmi-gateway``), a server program: MQTT intake and signature checks
(``intake.py``), Merkle batches (``batcher.py``), anchoring on NEO N3 (``chain.py``,
``contracts_clients.py``), follow-ups (fee settlement, consent records), device
self-registration, its database (``db.py``), configuration (``config.py``), the site broker's
configuration (``broker_config.py``), its own logging (``log.py``) and its command line
(``cli/``, one module per subcommand).

Imports ``edge_sync.protocol`` and never ``kiosk``, ``drivers`` or ``edge_sync.agent``
(import-linter contracts in pyproject.toml)."""
