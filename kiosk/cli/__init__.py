"""``kioskctl``: the technician's command line."""
