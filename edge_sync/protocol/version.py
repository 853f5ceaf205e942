"""The version of the bdmi-kiosk distribution, which every signed record carries
(``app_version``). ``kiosk.__version__`` is this value: one distribution, one version."""

APP_VERSION = "0.1.0"
