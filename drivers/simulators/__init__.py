"""Simulated devices that speak the real protocols over real transports (pty, vpcd),
for the demo and the tests. Production config refuses them."""
