"""Store-and-forward: outbox reader, MQTT device agent, chain gateway. Never imports ``kiosk``."""
