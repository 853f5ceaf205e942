"""NEO N3 contracts (neo3-boa) and their deployment helpers."""
