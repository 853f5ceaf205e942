"""The kiosk's side of sync: its store as the agent's ``Outbox`` (``store_outbox.py``) and the
``bdmi-sync`` entry point that wires the two (``entry.py``, the one kiosk module that imports
``edge_sync.agent``)."""
