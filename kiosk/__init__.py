"""APM Kiosk: the citizen-facing self-service application."""

__version__ = "0.1.0"
