"""Contract tests: neo3-boa compiled contracts on the harness neo-go node."""
