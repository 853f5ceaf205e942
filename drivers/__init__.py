"""Device drivers behind small interfaces. Knows nothing of ``kiosk``."""
