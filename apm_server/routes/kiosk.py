"""What kiosks call: their configuration and catalogue, identifying a citizen, requests
and their letters, ratings, heartbeats, and enrolment."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header
from fastapi.responses import Response

from apm_api.models import (
    API_PREFIX,
    ApplicantByCard,
    ApplicantByNik,
    Catalogue,
    Enrol,
    Enrolled,
    ErrorCode,
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
)
from apm_server import demo_data
from apm_server.office import ALL_VILLAGES
from apm_server.store import EnrolmentRefused, mask_nik, now
from apm_server.web import (
    BODY_ERRORS,
    Api,
    ApiDep,
    GuardedRoute,
    IdempotencyKey,
    Kiosk,
    Reply,
    SessionToken,
    errors,
    etag_matches,
    json_answer,
    request_row,
    require_valid_nik,
    retry_later,
)

log = logging.getLogger(__name__)

CATALOGUE_VERSION = hashlib.sha256(
    json.dumps([s.model_dump(mode="json") for s in demo_data.SERVICES], sort_keys=True).encode()
).hexdigest()[:16]


@functools.cache
def catalogue_version(enabled: tuple[str, ...]) -> str:
    """A village's catalogue version: the district's services, and which of them it offers."""
    return hashlib.sha256(f"{CATALOGUE_VERSION}:{','.join(enabled)}".encode()).hexdigest()[:16]


router = APIRouter(prefix=API_PREFIX, route_class=GuardedRoute)


@router.get(
    "/kiosk/config",
    response_model=KioskConfig,
    responses=errors(401),
    summary="This kiosk's configuration: village, services, hours, announcements",
)
def kiosk_config(api: ApiDep, kiosk: Kiosk) -> Response:
    office = api.office
    closed = api.store.closures()  # by the office, for a while (PUT /admin/out-of-service)
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
        out_of_service=closed.get(kiosk.village) or closed.get(ALL_VILLAGES),
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
        api.office.sign_now_or_queue(request_id)
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


@router.get(
    "/ca-certificate",
    response_class=Response,
    responses={
        200: {
            "description": "The CA certificate (PEM) the server's TLS certificate chains up "
            "to. Fetched before the kiosk trusts anything, so the kiosk must compare its "
            "SHA-256 fingerprint (of the DER) with the one in its provisioning file before "
            "it sends its enrolment token",
            "content": {"application/x-pem-file": {"schema": {"type": "string"}}},
        }
    },
    summary="The backend's CA certificate, for a kiosk about to enrol (no token)",
    openapi_extra={"security": []},
)
def ca_certificate(api: ApiDep) -> Response:
    pem = api.office.ca.ca_cert.read_bytes()
    return Response(pem, 200, media_type="application/x-pem-file")


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
    village = api.store.kiosk_village(kiosk_id)
    enrolled = Enrolled(
        kiosk_id=kiosk_id, device_token=device_token, label=label, village_code=village
    )
    return json_answer(enrolled, 201)
