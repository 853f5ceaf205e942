"""The encrypted local store: signed results, their outbox, short-lived personal data,
enrolled templates, consents and the hash-chained audit log, in one SQLCipher file shared
by the kiosk and the sync agent (docs/architecture.md, "Store").

Modules, one job each: ``key`` (key files), ``database`` (open: SQLCipher, pragmas,
migrations), ``models`` (tables), ``migrations`` (schema versions), ``capacity`` (quota),
``outbox`` (record results, sync states), ``audit`` (hash chain), ``retention`` (purge).
"""
