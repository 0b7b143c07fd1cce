"""Diagnostics for technicians: one report of checks, shared by `apm-kiosk diag` (the command
line, asking the running kiosk over a local socket or opening the devices itself) and the
technician screens of the running kiosk.

Plain Python: no Qt. Every check is blocking and may take seconds (a backend round trip, a
test print): run them off the GUI thread.
"""
