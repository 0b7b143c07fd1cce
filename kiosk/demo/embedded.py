"""The reference server inside the kiosk's process: for the demo only.

The kiosk application never imports `apm_server` (an import contract enforces it); this
launcher module is the one place that starts it, when the config says `embedded = true`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.backend.client import BackendClient
    from kiosk.config import KioskSettings

Stop = Callable[[], None]


def embedded_backend_factory(
    settings: KioskSettings, on_started: Callable[[Stop], None]
) -> Callable[[], BackendClient]:
    """A backend factory that starts the reference server on first use (a worker thread)."""

    def make() -> BackendClient:
        client, stop = embedded_backend(
            settings.state_dir / "embedded-server", settings.backend.embedded_auto_sign_s
        )
        on_started(stop)
        return client

    return make


def embedded_backend(state_dir: Path, auto_sign_delay_s: float = 2.0) -> tuple[BackendClient, Stop]:
    """Start the reference server in this process: a client for it, and its stop."""
    from apm_server.app import start_server
    from kiosk.backend.client import BackendClient

    server = start_server(state_dir, auto_sign_delay_s=auto_sign_delay_s)
    return BackendClient(server.url, server.kiosk_token), server.stop


def runtime_options(settings: KioskSettings) -> dict[str, Any]:
    """Keyword arguments for KioskRuntime: the embedded server's factory when configured."""
    if not settings.backend.embedded:
        return {}
    stops: list[Stop] = []
    return {
        "backend_factory": embedded_backend_factory(settings, stops.append),
        "on_shutdown": stops,
    }
