"""The reference backend / district service: API v1 on FastAPI, served by uvicorn.

Each route is declared once, with the shared pydantic models of `apm_api.models` for its
body and answers; the OpenAPI document (api/openapi.yaml) is generated from these
declarations by `python -m apm_server.openapi`. Every error answer is an ApiError.

`start_server()` runs it in a daemon thread of this process (the demo embeds it; tests
start one per test); `apm-server serve` runs it in the foreground, with worker processes
for a district (`--workers`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Security
from fastapi import Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ValidationError
from pydantic.warnings import UnsupportedFieldAttributeWarning
from starlette.exceptions import HTTPException
from starlette.routing import Match

from apm_api.models import (
    API_PREFIX,
    IDEMPOTENCY_KEY_PATTERN,
    ApiError,
    ApplicantByCard,
    ApplicantByNik,
    Catalogue,
    Enrol,
    Enrolled,
    EnrolmentCreate,
    EnrolmentToken,
    ErrorCode,
    Figures,
    FiguresRow,
    Fleet,
    FleetKiosk,
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
    Resident,
    Session,
    SubmitRequest,
    Text,
    Villages,
    VillageSetup,
)
from apm_api.nik import check_nik
from apm_server import __version__, demo_data, pages
from apm_server.office import ALL_VILLAGES, Office, OfficeError
from apm_server.serving import BodyLimits, ThreadedServer, uvicorn_config
from apm_server.store import EnrolmentRefused, RequestRow, mask_nik, now, wib

log = logging.getLogger(__name__)

# FastAPI's look for computed fields in a body that is a union (POST /identify) makes
# pydantic warn about an alias FastAPI itself set: nothing of ours to mend.
warnings.filterwarnings(
    "ignore", "The 'alias' attribute with value 'body'", UnsupportedFieldAttributeWarning
)

IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN.strip("^$"))
CATALOGUE_VERSION = hashlib.sha256(
    json.dumps([s.model_dump(mode="json") for s in demo_data.SERVICES], sort_keys=True).encode()
).hexdigest()[:16]


@functools.cache
def catalogue_version(enabled: tuple[str, ...]) -> str:
    """A village's catalogue version: the district's services, and which of them it offers."""
    return hashlib.sha256(f"{CATALOGUE_VERSION}:{','.join(enabled)}".encode()).hexdigest()[:16]


HTML = "text/html; charset=utf-8"


# --- answers and refusals ---------------------------------------------------------------


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
BODY_ERRORS = (400, 411, 413, 422)


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


# --- who is asking ----------------------------------------------------------------------

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


# --- the routes -------------------------------------------------------------------------

router = APIRouter(prefix=API_PREFIX, route_class=GuardedRoute)


@router.get(
    "/kiosk/config",
    response_model=KioskConfig,
    responses=errors(401),
    summary="This kiosk's configuration: village, services, hours, announcements",
)
def kiosk_config(api: ApiDep, kiosk: Kiosk) -> Response:
    office = api.office
    config = KioskConfig(
        kiosk_id=kiosk.kiosk_id,
        village=office.village_of(kiosk.village),
        services_enabled=list(office.services_of(kiosk.village)),
        idle_timeout_s=60,
        status_poll_s=2,
        support_phone="0356-000000",
        announcements=list(demo_data.ANNOUNCEMENTS),
        opening_hours=list(demo_data.OPENING_HOURS),
        logo_png=demo_data.logo_png(),
        out_of_service=office.out_of_service.get(kiosk.village)
        or office.out_of_service.get(ALL_VILLAGES),
    )
    return json_answer(config)


@router.get(
    "/catalogue",
    response_model=Catalogue,
    responses={
        200: {
            "headers": {
                "ETag": {
                    "description": "The catalogue's version, quoted",
                    "schema": {"type": "string"},
                }
            }
        },
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        **errors(401),
    },
    summary="The services and their forms",
)
def catalogue(
    api: ApiDep,
    kiosk: Kiosk,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    services = api.office.services_of(kiosk.village)
    version = catalogue_version(tuple(services))
    etag = f'"{version}"'
    if etag_matches(if_none_match, version):
        return Response(status_code=304, headers={"ETag": etag})
    return json_answer(
        Catalogue(version=version, services=list(services.values())), 200, {"ETag": etag}
    )


@router.post(
    "/identify",
    response_model=Session,
    responses=errors(*BODY_ERRORS, 401, 404, 423, 429),
    summary="A citizen identifies: e-KTP card UID, NIK + PIN, or the SAM reader's chip read",
)
def identify(
    api: ApiDep,
    kiosk: Kiosk,
    body: Annotated[
        IdentifyByCard | IdentifyByNikPin | IdentifyBySam, Body(discriminator="method")
    ],
) -> Response:
    store = api.store
    if body.method == "card":
        resident = store.resident_by_card(body.card_uid, village=kiosk.village)
        if resident is None:
            raise Reply(
                404, ErrorCode.UNKNOWN_CARD, "Kartu belum terdaftar.", "Card not registered."
            )
    elif body.method == "sam":
        resident = resident_read_by_sam(api, body, kiosk.village)
    else:
        require_valid_nik(body.nik)  # a mistyped NIK is not a wrong PIN: no lock count
        check = store.check_pin(body.nik, body.pin, kiosk.kiosk_id, village=kiosk.village)
        resident = check.resident
        if check.throttled_s:
            log.warning("PIN checks held back %d s at %s: too many misses", check.throttled_s,
                        kiosk.kiosk_id)  # fmt: skip
            raise retry_later(
                429,
                ErrorCode.TOO_MANY_ATTEMPTS,
                check.throttled_s,
                "Terlalu banyak PIN salah di kios ini. Gunakan e-KTP, atau tunggu.",
                "Too many wrong PINs at this kiosk. Use the e-KTP, or wait.",
            )
        if check.locked_s:
            raise retry_later(
                423,
                ErrorCode.LOCKED,
                check.locked_s,
                "Terlalu banyak PIN salah.",
                "Too many wrong PINs.",
            )
        if resident is None:
            raise Reply(401, ErrorCode.WRONG_PIN, "NIK atau PIN salah.", "Wrong NIK or PIN.")
    token, expires = store.new_session(resident.nik, village=kiosk.village)
    log.info("identified %s by %s", mask_nik(resident.nik), body.method)
    session = Session(
        session_token=token,
        expires_at=expires,
        resident=Resident(
            display_name=resident.name, nik_masked=mask_nik(resident.nik), prefill=resident.data
        ),
    )
    return json_answer(session)


def resident_read_by_sam(api: Api, body: IdentifyBySam, village: str) -> Any:
    """The chip's NIK, read by the kiosk's SAM reader (trusted as the kiosk is)."""
    if body.fingerprint == "not-matched":
        raise Reply(
            401,
            ErrorCode.FINGERPRINT_MISMATCH,
            "Sidik jari tidak cocok dengan e-KTP.",
            "The fingerprint does not match the e-KTP.",
        )
    resident = api.store.resident(body.nik, village=village)
    if resident is None:
        raise Reply(
            404,
            ErrorCode.UNKNOWN_RESIDENT,
            "NIK tidak terdaftar sebagai warga desa ini.",
            "This NIK is not a resident of this village.",
        )
    log.info("SAM read of %s by %s", mask_nik(body.nik), body.reader)
    return resident


def session_nik(api: Api, token: str | None, village: str) -> str:
    nik = api.store.session_nik(token or "", village=village)
    if nik is None:
        raise Reply(401, ErrorCode.SESSION_EXPIRED, "Sesi berakhir.", "Session expired.")
    return nik


@router.get(
    "/requests",
    response_model=RequestList,
    responses=errors(401),
    summary="The identified citizen's open requests",
)
def my_requests(api: ApiDep, kiosk: Kiosk, session: SessionToken = None) -> Response:
    rows = api.store.open_requests(session_nik(api, session, kiosk.village), village=kiosk.village)
    return json_answer(RequestList(requests=[api.office.answer(r) for r in rows]))


def submit_session(
    api: ApiDep,
    kiosk: Kiosk,
    session: Annotated[
        str | None,
        Header(
            alias="X-Session-Token",
            description="From POST /identify; leave out for a request taken offline (with "
            "applicant)",
        ),
    ] = None,
) -> str | None:
    """The session's NIK, checked before anything else; None for an offline request."""
    return session_nik(api, session, kiosk.village) if session and session.strip() else None


@router.post(
    "/requests",
    status_code=201,
    response_model=LetterRequest,
    responses={
        200: {
            "model": LetterRequest,
            "description": "A retry with the same Idempotency-Key: the first result",
            "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}},
        },
        **errors(*BODY_ERRORS, 401, 403, 409),
    },
    summary="Submit a letter request (with a session, or taken offline with an applicant)",
)
def submit(
    api: ApiDep,
    kiosk: Kiosk,
    nik: Annotated[str | None, Depends(submit_session)],
    key: IdempotencyKey,
    body: Annotated[SubmitRequest, Body()],
) -> Response:
    """A letter request: with a session, or taken offline and sent later (`applicant`).

    An offline request names its applicant by card UID or NIK, with nothing to prove
    it; it is stored with identity_verified = False for the back office to check.
    Sending a session and an applicant together is refused (422): one of them would
    be silently ignored, and a kiosk that mixes up two citizens must hear about it.
    """
    if nik is not None and body.applicant is not None:
        raise Reply(
            422,
            ErrorCode.BAD_REQUEST,
            "Kirim sesi atau pemohon, tidak keduanya.",
            "Send either X-Session-Token or applicant, not both.",
        )
    if nik is None:
        if body.applicant is None:  # neither a session nor an offline applicant
            raise Reply(401, ErrorCode.SESSION_EXPIRED, "Sesi berakhir.", "Session expired.")
        nik = applicant_nik(api, body.applicant, kiosk.village)
    if body.submitted_at is not None and body.submitted_at.utcoffset() is None:
        raise Reply(
            422,
            ErrorCode.BAD_REQUEST,
            "Waktu pengajuan tanpa zona waktu.",
            "submitted_at needs a time zone offset.",
        )
    body_hash = submission_hash(nik, body)
    if api.store.idempotent_request(kiosk.kiosk_id, key) is not None:
        return replay_submission(api, kiosk.kiosk_id, key, body_hash)
    check_form(api, body, kiosk.village)
    request_id, created = api.store.create_request(
        key=key,
        body_hash=body_hash,
        nik=nik,
        kiosk_id=kiosk.kiosk_id,
        village=kiosk.village,
        service_code=body.service_code,
        fields={name: value.strip() for name, value in body.fields.items()},
        # The demo skips the operator's review (unverified identities included: the
        # kiosk must be able to fetch the letter); one write, not two, per submit.
        status="awaiting_signature" if api.auto_approve else "under_review",
        identity_verified=body.applicant is None,
        kiosk_reference=body.kiosk_reference,
        submitted_at=body.submitted_at,
    )
    if not created:  # a concurrent retry with the same key got there first
        return replay_submission(api, kiosk.kiosk_id, key, body_hash)
    if body.applicant is not None:
        log.info("offline request %s for %s, identity unverified", request_id, mask_nik(nik))
    if api.sign_at_once:
        try:
            api.office.sign(request_id)
        except OfficeError:  # the request exists either way; the office can sign later
            log.exception("signing %s at once failed", request_id)
    row = api.office.require(request_id)
    return json_answer(api.office.answer(row), 201)


def applicant_nik(api: Api, applicant: ApplicantByCard | ApplicantByNik, village: str) -> str:
    """The NIK of an offline request's applicant; 422 if no resident matches."""
    if isinstance(applicant, ApplicantByCard):
        resident = api.store.resident_by_card(applicant.card_uid, village=village)
        if resident is None:
            raise Reply(
                422, ErrorCode.UNKNOWN_CARD, "Kartu belum terdaftar.", "Card not registered."
            )
    else:
        require_valid_nik(applicant.nik)
        resident = api.store.resident(applicant.nik, village=village)
        if resident is None:
            raise Reply(
                422,
                ErrorCode.UNKNOWN_RESIDENT,
                "NIK tidak terdaftar sebagai penduduk desa ini.",
                "No resident of this village has this NIK.",
            )
    return resident.nik


def replay_submission(api: Api, kiosk_id: str, key: str, body_hash: str) -> Response:
    known = api.store.idempotent_request(kiosk_id, key)
    assert known is not None, "idempotency records are never deleted"
    stored_hash, request_id = known
    if stored_hash != body_hash:
        raise Reply(
            409, ErrorCode.IDEMPOTENCY_CONFLICT, "Kunci sudah dipakai.", "Key already used."
        )
    return replay(api, request_id)


def replay(api: Api, request_id: str) -> Response:
    row = api.office.require(request_id)
    return json_answer(api.office.answer(row), 200, {"Idempotent-Replayed": "true"})


def check_form(api: Api, body: SubmitRequest, village: str) -> None:
    service = api.office.services_of(village).get(body.service_code)
    if service is None:
        raise Reply(
            403, ErrorCode.SERVICE_UNAVAILABLE, "Layanan tidak tersedia.", "Service unavailable."
        )
    problems: dict[str, Text] = {}
    known = {f.name for f in service.fields}
    for name in body.fields:
        if name not in known:
            problems[name] = Text(id="Isian tidak dikenal.", en="Unknown field.")
    for field in service.fields:
        problem = field.problem(body.fields.get(field.name, ""))
        if problem:
            problems[field.name] = problem
    if problems:
        raise Reply(
            422,
            ErrorCode.INVALID_FORM,
            "Isian belum benar.",
            "Form not valid.",
            field_errors=problems,
        )


def request_row(api: Api, request_id: str, village: str | None = None) -> RequestRow:
    """The request, if there is one (of this village, when given: another village's
    requests do not exist for its kiosks)."""
    row = api.store.request(request_id, village=village)
    if row is None:
        raise Reply(404, ErrorCode.NOT_FOUND, "Permohonan tidak ditemukan.", "Request not found.")
    return row


@router.get(
    "/requests/{request_id}",
    response_model=LetterRequest,
    responses=errors(401, 404),
    summary="A request's status (polled until signed)",
)
def request_status(api: ApiDep, kiosk: Kiosk, request_id: str) -> Response:
    return json_answer(api.office.answer(request_row(api, request_id, kiosk.village)))


@router.get(
    "/requests/{request_id}/document",
    response_class=Response,
    responses={
        200: {
            "description": "The signed letter",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "headers": {"X-Document-SHA256": {"schema": {"type": "string"}}},
        },
        **errors(401, 404, 409),
    },
    summary="The signed letter (PDF)",
)
def document(api: ApiDep, kiosk: Kiosk, request_id: str) -> Response:
    row = request_row(api, request_id, kiosk.village)
    pdf = api.store.document(row.id)
    if pdf is None or row.doc_sha256 is None:
        raise Reply(409, ErrorCode.INVALID_STATE, "Surat belum ditandatangani.", "Not signed yet.")
    headers = {
        "X-Document-SHA256": row.doc_sha256,
        "Content-Disposition": f'attachment; filename="{row.tracking_code}.pdf"',
    }
    return Response(pdf, 200, headers, media_type="application/pdf")


@router.post(
    "/requests/{request_id}/printed",
    response_model=LetterRequest,
    responses=errors(*BODY_ERRORS, 401, 404, 409),
    summary="The kiosk printed the letter: the request is collected",
)
def printed(
    api: ApiDep,
    kiosk: Kiosk,
    request_id: str,
    key: IdempotencyKey,  # required by the contract; the state itself makes this idempotent
    body: Annotated[MarkPrinted, Body()],
) -> Response:
    row = request_row(api, request_id, kiosk.village)
    if row.doc_sha256 is None or body.document_sha256 != row.doc_sha256:
        raise Reply(
            409, ErrorCode.INVALID_STATE, "Dokumen tidak sesuai.", "Document does not match."
        )
    already_collected = row.status == "collected"
    if row.status == "ready":
        api.store.mark_collected(row.id)  # a concurrent retry may have done it first
        row = request_row(api, request_id, kiosk.village)
    if row.status != "collected":
        raise Reply(
            409, ErrorCode.INVALID_STATE, "Status tidak sesuai.", f"Request is {row.status}."
        )
    if already_collected:
        return replay(api, row.id)
    return json_answer(api.office.answer(row))


@router.post(
    "/ratings",
    status_code=204,
    response_class=Response,
    responses=errors(*BODY_ERRORS, 401),
    summary="A citizen's satisfaction rating",
)
def rating(api: ApiDep, kiosk: Kiosk, body: Annotated[Rating, Body()]) -> Response:
    api.store.add_rating(kiosk.kiosk_id, body.request_id, body.score)
    return Response(status_code=204)


@router.post(
    "/heartbeat",
    response_model=HeartbeatAck,
    responses=errors(*BODY_ERRORS, 401),
    summary="The kiosk's health, every minute",
)
def heartbeat(api: ApiDep, kiosk: Kiosk, body: Annotated[Heartbeat, Body()]) -> Response:
    api.store.add_heartbeat(kiosk.kiosk_id, body.model_dump_json())
    version = catalogue_version(tuple(api.office.services_of(kiosk.village)))
    return json_answer(HeartbeatAck(server_time=now(), catalogue_version=version))


# --- enrolment ----------------------------------------------------------------------------


@router.post(
    "/enrol",
    status_code=201,
    response_model=Enrolled,
    responses=errors(*BODY_ERRORS, 403),
    summary="A new kiosk trades its one-time enrolment token for its own device token",
    openapi_extra={"security": []},
)
def enrol(api: ApiDep, body: Annotated[Enrol, Body()]) -> Response:
    try:
        kiosk_id, device_token, label = api.store.enrol(body.enrolment_token)
    except EnrolmentRefused as refused:
        log.warning("enrolment refused: %s", refused)
        raise Reply(
            403,
            ErrorCode.FORBIDDEN,
            "Token pendaftaran tidak dikenal, sudah dipakai, atau kedaluwarsa. Minta token "
            "baru kepada petugas kabupaten.",
            f"Enrolment refused: {refused}. Ask the district for a new enrolment token.",
        ) from None
    log.info("kiosk %s enrolled (%s)", kiosk_id, label)
    return json_answer(Enrolled(kiosk_id=kiosk_id, device_token=device_token, label=label), 201)


@router.post(
    "/admin/enrolments",
    status_code=201,
    response_model=EnrolmentToken,
    responses=errors(*BODY_ERRORS, 401),
    dependencies=[Admin],
    summary="A one-time enrolment token for a kiosk about to be set up",
)
def create_enrolment(api: ApiDep, body: Annotated[EnrolmentCreate, Body()]) -> Response:
    village = body.village_code or api.office.village.code
    if api.store.village(village) is None:
        raise Reply(
            422,
            ErrorCode.BAD_REQUEST,
            f"Desa {village} tidak dilayani server ini.",
            f"This server serves no village {village}.",
            field_errors={"village_code": Text(id="Desa tidak dikenal.", en="Unknown village.")},
        )
    token, expires = api.store.create_enrolment(
        body.label.strip(), body.valid_hours, village=village
    )
    log.info("enrolment token made for %r, valid until %s", body.label, expires.isoformat())
    return json_answer(EnrolmentToken(token=token, label=body.label, expires_at=expires), 201)


@router.post(
    "/admin/kiosks/{kiosk_id}/revoke",
    status_code=204,
    response_class=Response,
    responses=errors(401, 404),
    dependencies=[Admin],
    summary="Revoke a kiosk's device token",
)
def revoke(api: ApiDep, kiosk_id: str) -> Response:
    if not api.store.revoke_kiosk(kiosk_id):
        raise Reply(404, ErrorCode.NOT_FOUND, "Kios tidak dikenal.", "Unknown kiosk.")
    log.warning("kiosk %s revoked: its device token no longer works", kiosk_id)
    return Response(status_code=204)


# --- the village office -------------------------------------------------------------------


@router.post(
    "/admin/requests/{request_id}/sign",
    response_model=LetterRequest,
    responses=errors(401, 404, 409),
    dependencies=[Admin],
    summary="Sign a request as the village head (demo CA)",
)
def admin_sign(api: ApiDep, request_id: str) -> Response:
    request_row(api, request_id)
    try:
        row = api.office.sign(request_id)
    except OfficeError as exc:
        raise Reply(409, ErrorCode.INVALID_STATE, str(exc), str(exc)) from None
    return json_answer(api.office.answer(row))


REASON = {"type": "string", "minLength": 1, "maxLength": 500}


@router.post(
    "/admin/requests/{request_id}/reject",
    response_model=LetterRequest,
    responses=errors(*BODY_ERRORS, 401, 404, 409),
    dependencies=[Admin],
    summary="Reject a request with a reason the citizen reads",
    openapi_extra=object_body(
        {"type": "object", "required": ["reason"], "properties": {"reason": REASON}}
    ),
)
def admin_reject(api: ApiDep, request_id: str, raw: RawBody) -> Response:
    request_row(api, request_id)
    reason = json_object(raw).get("reason")
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= 500:
        raise Reply(
            422,
            ErrorCode.BAD_REQUEST,
            "Alasan wajib diisi (paling banyak 500 karakter).",
            "A reason of 1 to 500 characters is required.",
        )
    try:
        row = api.office.reject(request_id, reason.strip())
    except OfficeError as exc:
        raise Reply(409, ErrorCode.INVALID_STATE, str(exc), str(exc)) from None
    return json_answer(api.office.answer(row))


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


@router.put(
    "/admin/out-of-service",
    response_model=Text,
    responses=errors(*BODY_ERRORS, 401, 404),
    dependencies=[Admin],
    summary="Close the village's kiosks for a while, with a reason they show",
    openapi_extra=object_body(
        {
            "type": "object",
            "required": ["reason"],
            "properties": {"reason": {"$ref": "#/components/schemas/Text"}},
        }
    ),
)
def close_kiosks(api: ApiDep, raw: RawBody, village: VillageQuery = None) -> Response:
    """The office closes its kiosks for a while; they show the reason on the attract
    screen from their next configuration load (at most 10 minutes)."""
    try:
        reason = Text.model_validate(json_object(raw).get("reason"))
    except ValidationError:
        reason = None
    if reason is None or not 1 <= len(reason.id.strip()) <= 300:
        raise Reply(
            422,
            ErrorCode.BAD_REQUEST,
            'Alasan wajib diisi: {"reason": {"id": "...", "en": "..."}}, paling banyak '
            "300 karakter.",
            'A reason is required: {"reason": {"id": "...", "en": "..."}}, at most 300 characters.',
        )
    api.office.out_of_service[known_village(api, village)] = reason
    return json_answer(reason)


@router.delete(
    "/admin/out-of-service",
    status_code=204,
    response_class=Response,
    responses=errors(401, 404),
    dependencies=[Admin],
    summary="Open the village's kiosks again",
)
def open_kiosks(api: ApiDep, village: VillageQuery = None) -> Response:
    """Open one village's kiosks (?village=), or every village's."""
    if village is None:
        api.office.out_of_service.clear()
    else:
        api.office.out_of_service.pop(known_village(api, village), None)
    return Response(status_code=204)


# The operator's page in a browser: forms, HTTP Basic. Not part of the kiosk contract.


@router.get("/admin/office", dependencies=[Admin], include_in_schema=False)
def office_page(api: ApiDep, said: str = "", village: str | None = None) -> Response:
    """One village's requests (?village=code; the server's first village by default)."""
    code = village or api.office.village.code
    try:
        name = api.office.village_of(code).name
    except OfficeError:
        raise Reply(404, ErrorCode.NOT_FOUND, "Desa tidak dikenal.", "Unknown village.") from None
    rows = api.store.requests(newest=pages.OFFICE_PAGE_ROWS, village=code)
    names = {code: service.name.id for code, service in api.office.services.items()}
    page = pages.office_page(rows, api.store.signature_jobs(), name, {"said": said}, names)
    return Response(page, media_type=HTML)


def office_form(body: bytes) -> dict[str, str]:
    """A form the page sent (urlencoded), refused without the page's guard field."""
    fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if not secrets.compare_digest(fields.get("guard", ""), pages.FORM_GUARD):
        raise Reply(
            403,
            ErrorCode.FORBIDDEN,
            "Formulir tidak berasal dari halaman kantor desa.",
            "The form did not come from the back-office page.",
        )
    return fields


def back_to_office(said: str) -> Response:
    """303: the browser shows the page again (a reload does not send the form twice)."""
    return Response(
        status_code=303, headers={"Location": f"{pages.OFFICE_PAGE}?{urlencode({'said': said})}"}
    )


@router.post(
    "/admin/office/requests/{request_id}/sign", dependencies=[Admin], include_in_schema=False
)
def office_sign(api: ApiDep, request_id: str, raw: RawBody) -> Response:
    """Queued for the signing worker: the page comes back at once."""
    office_form(raw)
    row = request_row(api, request_id)
    api.store.queue_signature(row.id)
    log.info("signature of %s queued by the back office", row.tracking_code)
    return back_to_office(f"ditandatangani: {row.tracking_code}")


@router.post(
    "/admin/office/requests/{request_id}/reject", dependencies=[Admin], include_in_schema=False
)
def office_reject(api: ApiDep, request_id: str, raw: RawBody) -> Response:
    reason = office_form(raw).get("reason", "").strip()
    if not 1 <= len(reason) <= 500:
        return back_to_office("alasan penolakan wajib diisi (paling banyak 500 karakter)")
    try:
        row = api.office.reject(request_row(api, request_id).id, reason)
    except OfficeError as exc:
        return back_to_office(str(exc))
    return back_to_office(f"ditolak: {row.tracking_code}")


# --- the district ---------------------------------------------------------------------------


@router.get(
    "/admin/villages",
    response_model=Villages,
    responses=errors(401),
    dependencies=[Admin],
    summary="The villages this server serves, with their services",
)
def list_villages(api: ApiDep) -> Response:
    rows = api.store.villages()
    setups = [VillageSetup(village=r.village, services=r.services) for r in rows]
    return json_answer(Villages(villages=setups))


@router.post(
    "/admin/villages",
    status_code=201,
    response_model=VillageSetup,
    responses=errors(*BODY_ERRORS, 401, 409),
    dependencies=[Admin],
    summary="Serve another village (its kiosks are then enrolled with its code)",
)
def add_village(api: ApiDep, body: Annotated[VillageSetup, Body()]) -> Response:
    unknown = [code for code in body.services if code not in api.office.services]
    if unknown or len(set(body.services)) != len(body.services):
        raise Reply(
            422,
            ErrorCode.BAD_REQUEST,
            f"Layanan tidak dikenal atau ganda: {', '.join(unknown) or 'ganda'}.",
            f"Unknown or repeated services: {', '.join(unknown) or 'repeated'}; the catalogue "
            f"has {', '.join(api.office.services)}.",
            field_errors={"services": Text(id="Layanan tidak dikenal.", en="Unknown service.")},
        )
    try:
        api.store.add_village(body.village, list(body.services))
    except ValueError:
        raise Reply(
            409,
            ErrorCode.INVALID_STATE,
            f"Desa {body.village.code} sudah terdaftar.",
            f"Village {body.village.code} is served already.",
        ) from None
    log.info("village %s (%s) added", body.village.code, body.village.name)
    return json_answer(body, 201)


@router.get(
    "/admin/fleet",
    response_model=Fleet,
    responses={200: {"content": {"text/html": {}}}, **errors(401)},
    dependencies=[Admin],
    summary="Every kiosk's latest heartbeat, late ones flagged (JSON, or a page for a browser)",
)
def admin_fleet(
    api: ApiDep, accept: Annotated[str, Header(alias="Accept", include_in_schema=False)] = ""
) -> Response:
    fleet = Fleet(late_after_s=api.office.fleet_late_s, kiosks=fleet_kiosks(api))
    if "text/html" in accept:
        return Response(pages.fleet_page(fleet), media_type=HTML)
    return json_answer(fleet)


def fleet_kiosks(api: Api) -> list[FleetKiosk]:
    kiosks = []
    for kiosk_id, label, revoked, body, at, village in api.store.fleet():
        seen = datetime.fromisoformat(at) if at else None
        late = seen is None or (now() - seen).total_seconds() > api.office.fleet_late_s
        beat = stored_heartbeat(body)
        kiosks.append(
            FleetKiosk(
                kiosk_id=kiosk_id,
                label=label,
                village_code=village,
                revoked=revoked,
                last_seen=seen,
                late=late and not revoked,
                software_version=beat.software_version if beat else None,
                uptime_s=beat.uptime_s if beat else None,
                screen=beat.screen if beat else None,
                devices=list(beat.devices) if beat else [],
                paper_low=beat is not None and any(d.paper in ("low", "out") for d in beat.devices),
                outbox_pending=beat.outbox_pending if beat else None,
                dead_letters=beat.dead_letters if beat else None,
            )
        )
    return kiosks


def stored_heartbeat(body: str | None) -> Heartbeat | None:
    """A kept heartbeat, or None if none (or one an older version kept in another shape)."""
    try:
        return Heartbeat.model_validate_json(body) if body else None
    except ValidationError:
        return None


@router.get(
    "/admin/figures",
    response_model=Figures,
    responses={200: {"content": {"text/csv": {}}}, **errors(400, 401)},
    dependencies=[Admin],
    summary="Services delivered, times to signature and print, availability and ratings "
    "(the figures SNI ISO 37122 asks for), per kiosk and village",
)
def admin_figures(
    api: ApiDep,
    first_day: Annotated[
        str | None,
        Query(alias="from", description="First day, YYYY-MM-DD (village time); default: the 1st"),
    ] = None,
    last_day: Annotated[
        str | None, Query(alias="to", description="Last day, included; default: today")
    ] = None,
    format: Annotated[str | None, Query(description="csv for a spreadsheet")] = None,
) -> Response:
    first, last = figures_period(first_day, last_day)
    start = datetime.combine(first, dt_time(), wib(now()).tzinfo)
    end = datetime.combine(last + timedelta(days=1), dt_time(), wib(now()).tzinfo)
    elapsed_min = max(0.0, (min(end, now()) - start).total_seconds() / 60)
    rows = []
    for row in api.store.figures(start, end):
        beats, kiosks = row.pop("heartbeat_minutes"), row.pop("kiosks", 1)
        if row["kiosk_id"] is None:
            row["label"] = f"Desa {api.office.village_of(row['village_code']).name}"
        rows.append(
            FiguresRow(
                availability_pct=(
                    round(min(100.0, 100 * beats / (elapsed_min * kiosks)), 1)
                    if elapsed_min >= 1 and kiosks
                    else None
                ),
                satisfaction_index=(
                    round(row["mean_rating"] / 4 * 100, 1) if row["mean_rating"] else None
                ),
                **row,
            )
        )
    figures = Figures(period_from=first, period_to=last, rows=rows)
    if format == "csv":
        villages = sorted({row.village_code for row in rows})
        scope = villages[0] if len(villages) == 1 else "kabupaten"
        name = f"apm-figures-{scope}-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            pages.figures_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return json_answer(figures)


def figures_period(first_day: str | None, last_day: str | None) -> tuple[date, date]:
    """The days asked for: both given, or this month so far (village time)."""
    today = wib(now()).date()
    try:
        first = date.fromisoformat(first_day or today.replace(day=1).isoformat())
        last = date.fromisoformat(last_day or today.isoformat())
    except ValueError:
        raise Reply(
            400,
            ErrorCode.BAD_REQUEST,
            "Tanggal ditulis TTTT-BB-HH, misalnya ?from=2026-11-01&to=2026-11-30.",
            "Dates are written YYYY-MM-DD, e.g. ?from=2026-11-01&to=2026-11-30.",
        ) from None
    if not first <= last or (last - first).days > 366:
        raise Reply(
            400,
            ErrorCode.BAD_REQUEST,
            "Periode dari 'from' sampai 'to', paling lama satu tahun.",
            "The period runs from 'from' to 'to', at most a year.",
        )
    return first, last


# --- outside the API: health, and the page a letter's QR code opens -----------------------

public = APIRouter(route_class=GuardedRoute, include_in_schema=False)


@public.get("/healthz")
def healthz() -> Response:
    return Response("ok", media_type="text/plain; charset=utf-8")


@public.get("/verify/{request_id}")
def verify(api: ApiDep, request_id: str, code: str = "") -> Response:
    status, page = pages.verify_page(api.office, request_id, code)
    return Response(page, status, media_type=HTML)


# --- rules shared by the routes ---------------------------------------------------------------


def submission_hash(nik: str, body: SubmitRequest) -> str:
    """What makes two submissions "the same": resident and content, not JSON spelling.

    Key order or spacing may differ between a first try and a retry; another resident
    reusing a key by accident must get a conflict, never someone else's request. Fields
    left out count as absent (so hashes stored before the offline fields existed still
    match), and submitted_at is compared as an instant, whatever its offset.
    """
    # Who asked is `nik` (from the session, or from the applicant); how the kiosk named
    # them is not content: a request first sent with a session and, after its answer was
    # lost and the session expired, again as an offline request is the same request.
    content = body.model_dump(mode="json", exclude_none=True, exclude={"applicant"})
    if body.submitted_at is not None:
        content["submitted_at"] = body.submitted_at.astimezone(UTC).isoformat()
    canonical = json.dumps([nik, content], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def etag_matches(if_none_match: str | None, version: str) -> bool:
    """If-None-Match as HTTP allows it: a list, weak tags, "*"; unquoted tolerated."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag in ("*", version):
            return True
    return False


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


# --- the application --------------------------------------------------------------------------


async def _reply(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, Reply)
    return exc.response()


async def _invalid(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
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


def allowed_methods(request: HttpRequest) -> list[str]:
    """Every method of every route at this path (the framework names only the first's)."""
    methods: set[str] = set()
    for route in (*router.routes, *public.routes):
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
    app.include_router(router)
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
    # With no delay the demo signs inside the submit itself; otherwise a thread plays the
    # village head.
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
    """
    settings = ServerSettings(state_dir, auto_sign_delay_s, demo, public_url, database_url)
    app, office, signer = build(settings, "")
    server = ThreadedServer(uvicorn_config(app, host, port, version=__version__))
    url = f"http://{host}:{server.port}"
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


__all__ = ["RunningServer", "create_app", "start_server"]
