"""``bdmi-gateway``'s command line: ``main.py`` parses and dispatches, one module per
subcommand registers its parser and does its job, ``common.py`` holds what they share."""
