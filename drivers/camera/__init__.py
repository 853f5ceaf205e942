"""Cameras: the ``Camera`` protocol, the OpenCV driver and the simulated subject."""
