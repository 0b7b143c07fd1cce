"""What the village office calls: signing and rejecting requests (JSON, and the back-office
page's forms in a browser), and closing its kiosks for a while."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from apm_api.models import (
    API_PREFIX,
    ErrorCode,
    LetterRequest,
    Text,
)
from apm_server import pages
from apm_server.office import OfficeError
from apm_server.web import (
    BODY_ERRORS,
    HTML,
    Admin,
    ApiDep,
    GuardedRoute,
    RawBody,
    Reply,
    VillageQuery,
    errors,
    json_answer,
    json_object,
    known_village,
    object_body,
    request_row,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX, route_class=GuardedRoute)


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
    api.store.close_kiosks(known_village(api, village), reason)
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
    api.store.open_kiosks(None if village is None else known_village(api, village))
    return Response(status_code=204)


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
    page = pages.office_page(rows, api.store.signature_jobs(), name, said, names)
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
