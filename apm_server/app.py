"""The reference backend / district service: API v1 on FastAPI, served by uvicorn.

Each route is declared once, with the shared pydantic models of `apm_api.models` for its
body and answers; the OpenAPI document (api/openapi.yaml) is generated from these
declarations by `python -m apm_server.openapi`. Every error answer is an ApiError.

`start_server()` runs it in a daemon thread of this process (the demo embeds it; tests
start one per test); `apm-server serve` runs it in the foreground, with worker processes
for a district (`--workers`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi import Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.routing import Match

from apm_api.models import ErrorCode
from apm_server import __version__, demo_data, pages
from apm_server.office import Office, OfficeError
from apm_server.routes import district as district_routes
from apm_server.routes import kiosk as kiosk_routes
from apm_server.routes import office as office_routes
from apm_server.serving import BodyLimits, ThreadedServer, uvicorn_config
from apm_server.signing import DemoCA
from apm_server.store import now
from apm_server.web import (
    HTML,
    Api,
    ApiDep,
    GuardedRoute,
    Reply,
    bad_body,
)

log = logging.getLogger(__name__)

public = APIRouter(route_class=GuardedRoute, include_in_schema=False)


@public.get("/healthz")
def healthz() -> Response:
    return Response("ok", media_type="text/plain; charset=utf-8")


@public.get("/verify/{request_id}")
def verify(api: ApiDep, request_id: str, code: str = "") -> Response:
    status, page = pages.verify_page(api.office, request_id, code)
    return Response(page, status, media_type=HTML)


async def _reply(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, Reply)
    return exc.response()


async def _invalid(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    kind = request.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    if kind and kind != "application/json" and not kind.endswith("+json"):
        # Left unread as JSON by the framework: say so, not "not an object".
        return Reply(
            415,
            ErrorCode.BAD_REQUEST,
            "Isi permintaan harus JSON (Content-Type: application/json).",
            f"The body must be JSON (Content-Type: application/json), not {kind}.",
        ).response()
    return bad_body(list(exc.errors()) or [{}]).response()


async def _http_error(request: HttpRequest, exc: Exception) -> Response:
    """The framework's own refusals (no such path, a method the path lacks) as ApiError."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:  # a body that is not even JSON (bad bytes)
        return bad_body([{"loc": ("body",), "msg": str(exc.detail)}]).response()
    if exc.status_code == 404:
        reply = Reply(404, ErrorCode.NOT_FOUND, "Alamat tidak dikenal.", "Unknown endpoint.")
    elif exc.status_code == 405:
        reply = Reply(405, ErrorCode.BAD_REQUEST, "Metode tidak diizinkan.", "Method not allowed.")
        reply.headers["Allow"] = ", ".join(allowed_methods(request))
        return reply.response()
    else:
        reply = Reply(
            exc.status_code, ErrorCode.BAD_REQUEST, "Permintaan tidak valid.", str(exc.detail)
        )
    reply.headers.update(exc.headers or {})
    return reply.response()


ROUTERS = (kiosk_routes.router, office_routes.router, district_routes.router)


def allowed_methods(request: HttpRequest) -> list[str]:
    """Every method of every route at this path (the framework names only the first's)."""
    methods: set[str] = set()
    for route in (*(r for routes in ROUTERS for r in routes.routes), *public.routes):
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] != Match.NONE:
            methods |= (route.methods or set()) - {"HEAD"}
    return sorted(methods)


def create_app(api: Api | None = None) -> FastAPI:
    """The ASGI application; `api` None builds it for its OpenAPI document only."""
    app = FastAPI(
        title="APM Kiosk backend API",
        version="1.0.0",
        openapi_url=None,  # the contract is api/openapi.yaml, generated from these routes
        docs_url=None,
        redoc_url=None,
        separate_input_output_schemas=False,
        generate_unique_id_function=lambda route: route.name,
        # A body is JSON whether or not the kiosk names its type (the API takes nothing
        # else; the back-office forms, urlencoded, are read by their routes).
        strict_content_type=False,
    )
    app.state.api = api
    for routes in ROUTERS:
        app.include_router(routes)
    app.include_router(public)
    app.add_exception_handler(Reply, _reply)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(BodyLimits)
    return app


class AutoSigner(threading.Thread):
    """Demo stand-in for the village head: signs what waits, `delay_s` after submission."""

    def __init__(self, office: Office, delay_s: float) -> None:
        super().__init__(name="auto-signer", daemon=True)
        self.office, self.delay_s = office, delay_s
        self.stopping = threading.Event()

    def run(self) -> None:
        failed: set[str] = set()  # tried once and failed: logged once, left to the office
        while not self.stopping.wait(0.1):
            if not self.office.signing_turn():  # another worker process signs
                continue
            for row in self.office.store.awaiting_signature():
                due = (now() - row.created_at).total_seconds() >= self.delay_s
                if due and row.id not in failed:
                    try:
                        self.office.sign(row.id)
                    except OfficeError as exc:  # e.g. signed meanwhile by `apm-server sign`
                        log.info("auto-signing %s skipped: %s", row.id, exc)
                    except Exception:
                        failed.add(row.id)
                        log.exception("auto-signing %s failed", row.id)


@dataclass
class RunningServer:
    url: str
    kiosk_token: str
    admin_token: str
    ca_cert_path: Path
    office: Office
    stop: Callable[[], None]


@dataclass(frozen=True)
class ServerSettings:
    """How a server runs, from `start_server`'s arguments or (for worker processes of
    `apm-server serve --workers`) from the environment."""

    state_dir: Path
    auto_sign_delay_s: float | None = None
    demo: bool = True
    public_url: str | None = None
    database_url: str | None = None

    ENVIRONMENT = (
        "APM_SERVER_STATE_DIR",
        "APM_SERVER_AUTO_SIGN_DELAY",
        "APM_SERVER_PUBLIC_URL",
        "APM_SERVER_DATABASE_URL",
    )

    def environment(self) -> dict[str, str]:
        values = (self.state_dir, self.auto_sign_delay_s, self.public_url, self.database_url)
        return {
            name: str(value)
            for name, value in zip(self.ENVIRONMENT, values, strict=True)
            if value is not None
        }

    @classmethod
    def from_environment(cls) -> ServerSettings:
        delay = os.environ.get("APM_SERVER_AUTO_SIGN_DELAY")
        return cls(
            state_dir=Path(os.environ.get("APM_SERVER_STATE_DIR", "apm-server-state")),
            auto_sign_delay_s=float(delay) if delay else None,
            public_url=os.environ.get("APM_SERVER_PUBLIC_URL"),
            database_url=os.environ.get("APM_SERVER_DATABASE_URL"),
        )


def build(settings: ServerSettings, public_url: str) -> tuple[FastAPI, Office, AutoSigner | None]:
    """The application, its office, and (with an auto-sign delay) the demo's village head."""
    office = Office(settings.state_dir, demo=settings.demo, database_url=settings.database_url)
    office.public_url = (settings.public_url or public_url).rstrip("/")
    sign_at_once = settings.demo and settings.auto_sign_delay_s == 0
    app = create_app(Api(office, auto_approve=settings.demo, sign_at_once=sign_at_once))
    # With no delay the demo signs inside the submit itself (or, on a busy server, queues
    # the signature: see Office.sign_now_or_queue); otherwise a thread plays the village
    # head.
    delay = settings.auto_sign_delay_s
    signer = AutoSigner(office, delay) if delay else None
    return app, office, signer


def worker_app() -> FastAPI:
    """The application in a worker process of `apm-server serve --workers N` (settings
    from the environment; each worker has its own office, store and signing thread)."""
    settings = ServerSettings.from_environment()
    app, office, signer = build(settings, os.environ.get("APM_SERVER_URL", ""))
    office.start_signing()
    if signer is not None:
        signer.start()
    return app


def start_server(
    state_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    auto_sign_delay_s: float | None = None,
    demo: bool = True,
    public_url: str | None = None,
    database_url: str | None = None,
    tls: bool = False,
) -> RunningServer:
    """Serve API v1 from a daemon thread; state (db, demo CA) lives in `state_dir`.

    port 0 picks a free port (see `.url`). auto_sign_delay_s: None leaves signing to the
    admin endpoint or `apm-server sign`; 0 signs inside the submit; S > 0 signs S seconds
    after submission. demo: a new database gets the demo residents, and requests skip the
    operator's review (offline ones with an unverified identity too); without it there are
    no residents until `office.store.add_resident` registers some, and requests wait in
    under_review. The demo kiosk token works either way.
    public_url: base of the verification links in letters (default: `.url`).
    database_url: a SQLAlchemy URL (PostgreSQL); by default SQLite in state_dir.
    tls: serve HTTPS with a server certificate issued by the demo CA (`.ca_cert_path`,
    also served at GET /api/v1/ca-certificate), naming `host`, loopback and `public_url`'s
    host; `.url` is then https://.
    """
    settings = ServerSettings(state_dir, auto_sign_delay_s, demo, public_url, database_url)
    app, office, signer = build(settings, "")
    options = tls_options(office.ca, host, public_url) if tls else {}
    server = ThreadedServer(uvicorn_config(app, host, port, version=__version__, **options))
    url = f"{'https' if tls else 'http'}://{_url_host(host)}:{server.port}"
    if not public_url:
        office.public_url = url
    server.start()
    office.start_signing()
    if signer is not None:
        signer.start()

    def stop() -> None:
        if signer is not None:
            signer.stopping.set()
            signer.join(timeout=10)  # let a signature in progress finish writing
        office.stop_signing()
        server.stop()
        office.store.close()

    return RunningServer(
        url=url,
        kiosk_token=demo_data.KIOSK_TOKEN,
        admin_token=demo_data.ADMIN_TOKEN,
        ca_cert_path=office.ca.ca_cert,
        office=office,
        stop=stop,
    )


def tls_options(ca: DemoCA, host: str, public_url: str | None) -> dict[str, str]:
    """uvicorn's options for HTTPS with a certificate from the demo CA (made if need be)."""
    from apm_server.tls import ensure_server_certificate, server_names

    cert, key = ensure_server_certificate(ca, server_names(host, public_url))
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


__all__ = ["RunningServer", "create_app", "start_server"]
