"""Turning a blank device into a registered one, and back (``kioskctl provision``,
``kioskctl deprovision``; docs/operations.md "Provision a device")."""
