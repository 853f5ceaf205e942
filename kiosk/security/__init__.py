"""Device identity (the key that is also the device's NEO account), signed verification
results, and pseudonymous subject references."""
