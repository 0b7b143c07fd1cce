"""APM reference backend: a development and test server for the kiosk's backend API v1.

It implements the contract in `api/openapi.yaml` over real HTTP with SQLite storage, demo
data, letters laid out like a village's, and real PAdES signatures from a demo CA. It is
a reference for other implementations and a partner for the kiosk's tests and demo; it is
NOT a village's production letter system (no operator UI, no real identity register, no
BSrE signing).
"""

__version__ = "0.1.0"
