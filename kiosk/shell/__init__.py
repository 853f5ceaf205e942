"""The imperative shell around the pure flows: devices, verification and the store on
worker threads, their outcomes turned back into flow events. No Qt here either: the UI
controller and the headless driver (tests, ``kioskctl``) both run flows through it."""
