"""Store-and-forward, in three packages: ``protocol`` (the contract device and gateway share),
``agent`` (the device's sync agent, against the protocol's ``Outbox`` interface) and ``gateway``
(the chain gateway, a server). Never imports ``kiosk`` (import-linter, pyproject.toml)."""
