"""The kiosk's HTTP client for backend API v1.

Every call has explicit (connect, read) timeouts, every answer is validated against the
typed models, and every failure leaves as one of the four BackendError kinds: nothing
from `requests`, `json` or `pydantic` escapes, so a malformed answer is something the
flow can show, never a crash.  Import this module off the GUI thread (it imports
`requests`, which is slow to import).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, ValidationError

from apm_api.models import (
    API_PREFIX,
    ApiError,
    Catalogue,
    Heartbeat,
    HeartbeatAck,
    IdentifyByCard,
    IdentifyByNikPin,
    IdentifyBySam,
    KioskConfig,
    LetterRequest,
    MarkPrinted,
    Rating,
    RequestList,
    Session,
    SubmitRequest,
)
from kiosk import __version__
from kiosk.backend.errors import (
    BackendError,
    BackendProtocolError,
    BackendRejected,
    BackendServerError,
    BackendUnreachable,
)

if TYPE_CHECKING:
    from kiosk.diagnostics.backend import Target

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
P = ParamSpec("P")
R = TypeVar("R")
MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Let only BackendError leave a public call, whatever goes wrong underneath."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except BackendError:
            raise
        except Exception as exc:
            # Only the type, no message or traceback: they could quote personal data.
            log.error("unexpected %s in backend call %s", type(exc).__name__, method.__name__)
            raise BackendProtocolError(
                f"{method.__name__}: unexpected {type(exc).__name__}"
            ) from None

    return call


class BackendClient:
    """One kiosk's connection to the backend; safe to share between worker threads."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 10.0,
        verify_tls: bool | str | os.PathLike[str] = True,
    ) -> None:
        self._base = base_url.rstrip("/") + API_PREFIX
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._http = requests.Session()
        self._http.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "User-Agent": f"apm-kiosk/{__version__}",
                "Accept": "application/json",
            }
        )
        self._http.verify = verify_tls if isinstance(verify_tls, bool) else os.fspath(verify_tls)
        # The environment's proxy settings, read once: requests would read them again on
        # every call (about 0.5 ms each, a quarter of a queued request's cost to send).
        self._http.proxies = requests.utils.get_environ_proxies(self._base)
        self._http.trust_env = False

    @property
    def base_url(self) -> str:
        return self._base

    def probe_target(self) -> Target:
        """Where and how this client calls, for diagnostics' own probe of the backend."""
        from kiosk.diagnostics.backend import Target

        auth = str(self._http.headers["Authorization"]).removeprefix("Bearer ")
        verify = self._http.verify
        return Target(
            self._base,
            auth,
            verify_tls=verify if isinstance(verify, bool) else str(verify),
            connect_timeout_s=self._timeout[0],
            read_timeout_s=self._timeout[1],
        )

    def close(self) -> None:
        self._http.close()

    # --- the API ---------------------------------------------------------------------

    @_guarded
    def kiosk_config(self) -> KioskConfig:
        return self._json("GET", "/kiosk/config", KioskConfig)

    @_guarded
    def catalogue(self, known_version: str | None = None) -> Catalogue | None:
        """The service catalogue, or None if it is still `known_version` (HTTP 304)."""
        headers = {"If-None-Match": f'"{known_version}"'} if known_version else {}
        response = self._send("GET", "/catalogue", headers=headers)
        if response.status_code == 304 and known_version:
            response.close()
            return None
        return self._parse(response, Catalogue)

    @_guarded
    def identify(self, request: IdentifyByCard | IdentifyByNikPin | IdentifyBySam) -> Session:
        return self._json("POST", "/identify", Session, body=request)

    @_guarded
    def my_requests(self, session_token: str) -> RequestList:
        headers = {"X-Session-Token": session_token}
        return self._json("GET", "/requests", RequestList, headers=headers)

    @_guarded
    def submit(
        self, session_token: str | None, body: SubmitRequest, idempotency_key: str
    ) -> LetterRequest:
        """201 for a new request, 200 when the server replays an earlier answer.

        Without a session token (a request taken while the backend was unreachable) the
        body must name the `applicant`; the backend marks the identity unverified.
        """
        headers = {"Idempotency-Key": idempotency_key}
        if session_token is not None:
            headers["X-Session-Token"] = session_token
        return self._json("POST", "/requests", LetterRequest, body=body, headers=headers)

    @_guarded
    def request_status(self, request_id: str) -> LetterRequest:
        return self._json("GET", f"/requests/{_segment(request_id)}", LetterRequest)

    @_guarded
    def download_document(
        self, request_id: str, expected_sha256: str, max_bytes: int = MAX_DOCUMENT_BYTES
    ) -> bytes:
        """The signed PDF, only if it is exactly the document the request announced."""
        path = f"/requests/{_segment(request_id)}/document"
        response = self._send("GET", path, stream=True, accept="application/pdf")
        try:
            if response.status_code != 200:
                self._raise_for(response)
            _require_content_type(response, "application/pdf")
            announced = response.headers.get("X-Document-SHA256")
            pdf = read_limited(response, max_bytes)
        finally:
            response.close()
        digest = hashlib.sha256(pdf).hexdigest()
        if digest != expected_sha256.lower():
            raise BackendProtocolError(f"{path}: document SHA-256 differs from the request's")
        if announced is not None and announced.strip().lower() != digest:
            raise BackendProtocolError(f"{path}: document SHA-256 differs from its header")
        if not pdf.startswith(b"%PDF-"):
            raise BackendProtocolError(f"{path}: document does not start with %PDF-")
        return pdf

    @_guarded
    def mark_printed(
        self, request_id: str, body: MarkPrinted, idempotency_key: str
    ) -> LetterRequest:
        path = f"/requests/{_segment(request_id)}/printed"
        headers = {"Idempotency-Key": idempotency_key}
        return self._json("POST", path, LetterRequest, body=body, headers=headers)

    @_guarded
    def rate(self, body: Rating) -> None:
        response = self._send("POST", "/ratings", body=body)
        try:
            if response.status_code not in (200, 201, 204):
                self._raise_for(response)
        finally:
            response.close()

    @_guarded
    def heartbeat(self, body: Heartbeat) -> HeartbeatAck:
        return self._json("POST", "/heartbeat", HeartbeatAck, body=body)

    # --- plumbing --------------------------------------------------------------------

    def _json(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        body: BaseModel | None = None,
        headers: dict[str, str] | None = None,
    ) -> M:
        return self._parse(self._send(method, path, body=body, headers=headers), model)

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        accept: str = "application/json",
    ) -> requests.Response:
        all_headers = {**(headers or {}), "Accept": accept}
        data = None
        if body is not None:
            data = body.model_dump_json(exclude_none=True).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            # Always streamed, so that no answer is read beyond its size limit; no
            # redirects, so the bearer token only ever goes to the configured backend.
            response = self._http.request(
                method,
                self._base + path,
                data=data,
                headers=all_headers,
                timeout=self._timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise BackendUnreachable(f"{method} {path}: timed out") from None
        except requests.exceptions.SSLError:
            raise BackendUnreachable(f"{method} {path}: TLS error") from None
        except requests.ConnectionError:
            raise BackendUnreachable(f"{method} {path}: cannot connect") from None
        except requests.RequestException as exc:
            raise BackendUnreachable(f"{method} {path}: {type(exc).__name__}") from None
        log.debug("%s %s -> HTTP %s", method, path, response.status_code)
        return response

    def _parse(self, response: requests.Response, model: type[M]) -> M:
        try:
            if not 200 <= response.status_code < 300:
                self._raise_for(response)
            _require_content_type(response, "application/json")
            raw = read_limited(response, MAX_JSON_BYTES)
        finally:
            response.close()
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            raise BackendProtocolError(
                f"{_where(response)}: answer is not a valid {model.__name__} "
                f"({exc.error_count()} problems, first: {_first_problem(exc)})"
            ) from None

    def _raise_for(self, response: requests.Response) -> None:
        status = response.status_code
        if status >= 500:
            raise BackendServerError(f"{_where(response)}: HTTP {status}")
        if not 400 <= status < 500:
            raise BackendProtocolError(f"{_where(response)}: unexpected HTTP {status}")
        try:
            error = ApiError.model_validate_json(read_limited(response, MAX_JSON_BYTES))
        except (ValidationError, BackendProtocolError):
            raise BackendProtocolError(
                f"{_where(response)}: HTTP {status} without a valid error body"
            ) from None
        raise BackendRejected(status, error)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _where(response: requests.Response) -> str:
    request = response.request
    return f"{request.method} {request.path_url}" if request is not None else "?"


def _require_content_type(response: requests.Response, expected: str) -> None:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != expected:
        found = content_type or "none"
        raise BackendProtocolError(
            f"{_where(response)}: expected content type {expected}, found {found}"
        )


def read_limited(response: requests.Response, limit: int) -> bytes:
    """The whole body, refusing one larger than `limit` without reading it all
    (BackendProtocolError), or BackendUnreachable when the answer is cut off."""
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limit:
        raise BackendProtocolError(f"{_where(response)}: answer larger than {limit} bytes")
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise BackendProtocolError(f"{_where(response)}: answer larger than {limit} bytes")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise BackendUnreachable(
            f"{_where(response)}: answer cut off ({type(exc).__name__})"
        ) from None
    return b"".join(chunks)


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"]) or "(root)"
    return f"{location}: {error['type']}"  # the type, not the message: it may quote data
