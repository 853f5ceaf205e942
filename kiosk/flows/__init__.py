"""The kiosk's flows as pure state machines: events in, commands out, no Qt, no drivers.

A flow never waits and never touches a device: the shell (the Qt UI, or ``kioskctl flow``)
runs its commands on worker threads and feeds back what happened as events. So every path,
the error paths and the timeouts included, is testable in microseconds with a fake clock,
and the UI cannot freeze on a flow.
"""
