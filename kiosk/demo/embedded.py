"""The reference server inside the kiosk's process: for the demo only.

The kiosk application never imports `apm_server` (an import contract enforces it); this
launcher module is the one place that starts it, when the config says `embedded = true`.
The demo may put its fault proxy (kiosk.demo.faulty_backend) between the kiosk and the
backend, embedded or not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.backend.client import BackendClient
    from kiosk.config import KioskSettings
    from kiosk.demo.faulty_backend import FaultyBackend

Stop = Callable[[], None]


def embedded_backend_factory(
    settings: KioskSettings,
    on_started: Callable[[Stop], None],
    *,
    proxy: FaultyBackend | None = None,
    auto_sign: bool = True,
) -> Callable[[], BackendClient]:
    """A backend factory that starts the reference server on first use (a worker thread).

    auto_sign=False: the server never signs by itself (a script plays the village head).
    """

    def make() -> BackendClient:
        backend = settings.backend
        client, stop = embedded_backend(
            settings.state_dir / "embedded-server",
            backend.embedded_auto_sign_s if auto_sign else None,
            proxy=proxy,
            timeouts=(backend.connect_timeout_s, backend.read_timeout_s),
            trust_anchor=_expected_demo_ca(settings),
        )
        on_started(stop)
        return client

    return make


def embedded_backend(
    state_dir: Path,
    auto_sign_delay_s: float | None = 2.0,
    *,
    proxy: FaultyBackend | None = None,
    timeouts: tuple[float, float] = (3.0, 10.0),
    trust_anchor: Path | None = None,
) -> tuple[BackendClient, Stop]:
    """Start the reference server in this process: a client for it, and its stop.

    The server creates its demo CA as it starts; `trust_anchor`, where the kiosk will look
    for that CA, is checked to be there before the kiosk gets its client. With `proxy`,
    the client talks to the proxy and the proxy to the server.
    """
    from apm_server.app import start_server
    from kiosk.backend.client import BackendClient

    server = start_server(state_dir, auto_sign_delay_s=auto_sign_delay_s)
    if trust_anchor is not None and not trust_anchor.is_file():
        server.stop()
        raise RuntimeError(
            f"the embedded server's demo CA is at {server.ca_cert_path}, "
            f"but the kiosk trusts {trust_anchor}, which does not exist"
        )
    url = server.url
    if proxy is not None:
        proxy.set_upstream(server.url)
        url = proxy.url
    connect_s, read_s = timeouts
    client = BackendClient(
        url, server.kiosk_token, connect_timeout_s=connect_s, read_timeout_s=read_s
    )
    return client, server.stop


def _expected_demo_ca(settings: KioskSettings) -> Path | None:
    """The demo CA's path the kiosk trusts by default (None when anchors are configured)."""
    if settings.signature.trust_anchors:
        return None
    anchors = settings.trust_anchor_paths()
    return anchors[0] if anchors else None


def runtime_options(
    settings: KioskSettings, *, proxy: FaultyBackend | None = None, auto_sign: bool = True
) -> dict[str, Any]:
    """Keyword arguments for KioskRuntime: the embedded server's factory when configured,
    and the stops of what the demo started (the server, the fault proxy).

    For a URL backend behind the proxy, the settings already name the proxy's URL.
    """
    stops: list[Stop] = [proxy.stop] if proxy is not None else []
    if not settings.backend.embedded:
        return {"on_shutdown": stops} if stops else {}
    factory = embedded_backend_factory(settings, stops.append, proxy=proxy, auto_sign=auto_sign)
    return {"backend_factory": factory, "on_shutdown": stops}
