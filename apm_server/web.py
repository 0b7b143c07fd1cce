"""What the routes of the district service share: errors as ApiError answers, who is
asking (a kiosk and its village, or an administrator), and the request's headers and body."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Security
from fastapi import Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel
from pydantic.warnings import UnsupportedFieldAttributeWarning
from starlette.exceptions import HTTPException

from apm_api.models import (
    IDEMPOTENCY_KEY_PATTERN,
    ApiError,
    ErrorCode,
    Text,
)
from apm_api.nik import check_nik
from apm_server import demo_data
from apm_server.office import ALL_VILLAGES, Office
from apm_server.store import RequestRow, now, wib

log = logging.getLogger(__name__)

# FastAPI's look for computed fields in a body that is a union (POST /identify) makes
# pydantic warn about an alias FastAPI itself set: nothing of ours to mend.
warnings.filterwarnings(
    "ignore", "The 'alias' attribute with value 'body'", UnsupportedFieldAttributeWarning
)


IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN.strip("^$"))


HTML = "text/html; charset=utf-8"


class Reply(Exception):
    """Raised by a route to answer with an error (always an ApiError body)."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        en: str | None = None,
        *,
        field_errors: dict[str, Text] | None = None,
        retry_after_s: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.error = ApiError(
            code=code,
            message=Text(id=message, en=en),
            field_errors=field_errors or {},
            retry_after_s=retry_after_s,
        )

    def response(self) -> Response:
        return Response(
            self.error.model_dump_json(),
            self.status,
            headers=self.headers,
            media_type="application/json",
        )


def json_answer(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(model.model_dump_json(), status, headers, media_type="application/json")


def retry_later(status: int, code: ErrorCode, seconds: int, said_id: str, said_en: str) -> Reply:
    """A refusal for now: when to try again, in the body and in Retry-After."""
    return Reply(
        status, code, said_id, said_en, retry_after_s=seconds, headers={"Retry-After": str(seconds)}
    )


def unauthorised() -> Reply:
    return Reply(
        401,
        ErrorCode.UNAUTHORIZED,
        "Tidak berwenang.",
        "Unauthorized.",
        headers={"WWW-Authenticate": "Bearer"},
    )


# What each refusal means, for the OpenAPI document (one entry per status a route lists).
ERRORS = {
    400: "Malformed request (bad_request): e.g. Idempotency-Key missing, Content-Length not a number",
    401: "Missing or wrong bearer token (unauthorized), wrong NIK/PIN (wrong_pin), expired session (session_expired), or a submit with neither a session nor an applicant (session_expired)",
    403: "Service not enabled for this kiosk (service_unavailable), or an enrolment token unknown, used or expired (forbidden)",
    404: "Unknown card (unknown_card), resident (unknown_resident) or request (not_found)",
    409: "Idempotency key reused with another body (idempotency_conflict) or wrong state (invalid_state)",
    411: "A chunked body (bad_request): send Content-Length",
    413: "Body larger than 64 KiB (bad_request)",
    415: "A body sent as another Content-Type than application/json (bad_request)",
    422: "Body does not match the schema (bad_request), form fields invalid (invalid_form, with field_errors), an offline submission's applicant not found (unknown_card, unknown_resident), or a session and an applicant together (bad_request)",
    423: "Too many wrong PINs (locked, with retry_after_s and a Retry-After header)",
    429: "Too many wrong PINs across NIKs at this kiosk or overall (too_many_attempts, with retry_after_s and a Retry-After header); cards still work",
    500: "Server error (internal)",
}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


ERROR_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    423: RETRY_AFTER,
    429: RETRY_AFTER,
}


BODY_ERRORS = (400, 411, 413, 415, 422)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses for these refusals (500 always), each an ApiError."""
    return {
        status: {"model": ApiError, "description": ERRORS[status]}
        | ({"headers": ERROR_HEADERS[status]} if status in ERROR_HEADERS else {})
        for status in (*statuses, 500)
    }


class GuardedRoute(APIRoute):
    """A route whose unexpected failure is a logged 500 ApiError, never a traceback page
    (and never a second traceback from the server for the same error)."""

    def get_route_handler(self) -> Callable[[HttpRequest], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: HttpRequest) -> Response:
            try:
                return await handler(request)
            except (Reply, HTTPException, RequestValidationError):
                raise
            except Exception:
                log.exception("internal error on %s %s", request.method, request.url.path)
                error = ApiError(
                    code=ErrorCode.INTERNAL,
                    message=Text(id="Kesalahan server.", en="Server error."),
                )
                return json_answer(error, 500)

        return guarded


class Api:
    """What the routes share: the office (and its store), and how this server runs."""

    def __init__(self, office: Office, auto_approve: bool, sign_at_once: bool = False) -> None:
        self.office = office
        self.store = office.store
        self.auto_approve = auto_approve
        self.sign_at_once = sign_at_once  # demo with no signing delay: answer already signed


kiosk_bearer = HTTPBearer(
    auto_error=False, scheme_name="kioskToken", description="The kiosk's device token"
)


admin_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="adminToken",
    description="Back-office token (reference server only); a browser may send it as the "
    "password of HTTP Basic",
)


def the_api(request: HttpRequest) -> Api:
    api: Api = request.app.state.api
    return api


ApiDep = Annotated[Api, Depends(the_api)]


def presented_token(request: HttpRequest) -> str:
    """A Bearer token, or the password of HTTP Basic (a browser on a back-office page)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header.removeprefix("Basic ").strip(), validate=True)
            return decoded.decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return ""
    return ""


@dataclass(frozen=True)
class Caller:
    """A kiosk, and the village whose residents, services and letters it may reach."""

    kiosk_id: str
    village: str


def calling_kiosk(
    request: HttpRequest, api: ApiDep, _: Annotated[Any, Security(kiosk_bearer)]
) -> Caller:
    """The kiosk a device token belongs to; 401 for none (or a revoked one)."""
    token = presented_token(request)
    kiosk_id = api.store.kiosk_for_token(token) if token else None
    village = api.store.kiosk_village(kiosk_id) if kiosk_id else None
    if kiosk_id is None or village is None:
        raise unauthorised()
    return Caller(kiosk_id, village)


def administrator(request: HttpRequest, _: Annotated[Any, Security(admin_bearer)]) -> None:
    if not secrets.compare_digest(presented_token(request), demo_data.ADMIN_TOKEN):
        raise unauthorised()


Kiosk = Annotated[Caller, Depends(calling_kiosk)]


Admin = Depends(administrator)


SessionToken = Annotated[
    str | None, Header(alias="X-Session-Token", description="From POST /identify")
]


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="8 to 200 visible ASCII characters (a UUID fits); a retry sends the "
            "same key and is answered with the first result",
            json_schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN},
        ),
    ] = None,
) -> str:
    """The Idempotency-Key header: 8 to 200 visible ASCII characters (a UUID fits)."""
    key = (key or "").strip()
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise Reply(
            400,
            ErrorCode.BAD_REQUEST,
            "Idempotency-Key wajib (8-200 karakter).",
            "Idempotency-Key required (8-200 visible ASCII characters).",
        )
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]


async def raw_body(request: HttpRequest) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


def json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Reply(
            400, ErrorCode.BAD_REQUEST, "Isi permintaan bukan JSON.", "Body is not a JSON object."
        )
    return value


def object_body(schema: dict[str, Any]) -> dict[str, Any]:
    """openapi_extra for a route that reads a small JSON object itself (for its own words)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }


def request_row(api: Api, request_id: str, village: str | None = None) -> RequestRow:
    """The request, if there is one (of this village, when given: another village's
    requests do not exist for its kiosks)."""
    row = api.store.request(request_id, village=village)
    if row is None:
        raise Reply(404, ErrorCode.NOT_FOUND, "Permohonan tidak ditemukan.", "Request not found.")
    return row


VillageQuery = Annotated[
    str | None, Query(description="A village's code (kode wilayah); left out: every village")
]


def known_village(api: Api, code: str | None) -> str:
    """The village code asked for (ALL_VILLAGES for none); 404 for a village not served."""
    if code is None:
        return ALL_VILLAGES
    if api.store.village(code) is None:
        raise Reply(404, ErrorCode.NOT_FOUND, "Desa tidak dikenal.", "Unknown village.")
    return code


def require_valid_nik(nik: str) -> None:
    """422 with what is wrong (field_errors.nik) unless `nik` is a well-formed NIK."""
    problem = check_nik(nik, today=wib(now()).date())
    if problem is not None:
        raise nik_reply(problem.id, problem.en)


def nik_reply(message: str, en: str) -> Reply:
    return Reply(
        422, ErrorCode.BAD_REQUEST, message, en, field_errors={"nik": Text(id=message, en=en)}
    )


def bad_body(problems: list[Any]) -> Reply:
    """The first thing wrong with a body, where it is; for a NIK, what is wrong with it."""
    first = problems[0]
    loc = [p for p in first.get("loc", ()) if p != "body"]
    where = ".".join(str(p) for p in loc) or "body"
    typed = first.get("input")
    if loc and loc[-1] == "nik" and isinstance(typed, str):
        problem = check_nik(typed, today=wib(now()).date())
        if problem is not None:  # say what is wrong with it (length, digits, ...)
            return nik_reply(problem.id, problem.en)
    return Reply(
        422,
        ErrorCode.BAD_REQUEST,
        f"Permintaan tidak valid ({where}).",
        f"Invalid request: {where}: {first.get('msg', 'invalid')}",
    )


def etag_matches(if_none_match: str | None, version: str) -> bool:
    """If-None-Match as HTTP allows it: a list, weak tags, "*"; unquoted tolerated."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag in ("*", version):
            return True
    return False
