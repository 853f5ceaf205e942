"""The device's sync agent: publishes outbox rows over MQTT and applies the gateway's acks.

Depends only on ``edge_sync.protocol`` and works against its ``Outbox`` interface; the
``bdmi-sync`` entry point that opens the kiosk's store and hands it over is on the kiosk's side
(``kiosk/sync/entry.py``)."""

from edge_sync.agent.sync_agent import AgentSettings, SyncAgent

__all__ = ["AgentSettings", "SyncAgent"]
