"""The touch application (PySide6, QML). Renders state and forwards taps; decides nothing."""
