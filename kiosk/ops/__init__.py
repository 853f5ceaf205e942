"""Appliance operations: the self-test (``kioskctl selftest``) and the keepalive daemon
(``bdmi-health``).

No Qt here: a technician runs the self-test over SSH on a kiosk whose screen is dead, and the
daemon runs beside the UI, so neither may depend on it.
"""
