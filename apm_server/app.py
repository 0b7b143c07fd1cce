"""The reference backend over HTTP: API v1 (see api/openapi.yaml), stdlib server only.

A reference and development server for the contract, NOT a village's production letter
system (no operator UI, demo residents, a demo CA instead of BSrE, no TLS).

`start_server()` runs it in a daemon thread (the demo embeds it; tests start one per test);
`apm-server serve` runs it in the foreground. Every body is built from or parsed with the
pydantic models of `apm_api.models`, and every error answer is an ApiError.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import hmac
import html
import io
import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from pydantic import BaseModel, TypeAdapter, ValidationError

from apm_api.models import (
    API_PREFIX,
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
    IdentifyBySam,
    IdentifyRequest,
    KioskConfig,
    MarkPrinted,
    Rating,
    RequestList,
    Resident,
    Session,
    SubmitRequest,
    Text,
)
from apm_api.nik import check_nik
from apm_server import __version__, demo_data
from apm_server.letter import indonesian_date
from apm_server.office import Office, OfficeError
from apm_server.store import EnrolmentRefused, RequestRow, mask_nik, now, wib

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
IDEMPOTENCY_KEY = re.compile(r"[!-~]{8,200}")  # visible ASCII; same as in api/openapi.yaml
CATALOGUE_VERSION = hashlib.sha256(
    json.dumps([s.model_dump(mode="json") for s in demo_data.SERVICES], sort_keys=True).encode()
).hexdigest()[:16]
IDENTIFY = TypeAdapter(IdentifyRequest)


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

    def answer(self) -> Answer:
        return Answer(self.status, self.error.model_dump_json().encode(), headers=self.headers)


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] | None = None


def json_answer(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Answer:
    return Answer(status, model.model_dump_json().encode(), headers=headers)


class Api:
    """The routes. Each takes the parsed request and returns an Answer or raises Reply."""

    def __init__(self, office: Office, auto_approve: bool, sign_at_once: bool = False) -> None:
        self.office = office
        self.store = office.store
        self.auto_approve = auto_approve
        self.sign_at_once = sign_at_once  # demo with no signing delay: answer already signed
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Answer], str]] = []
        route = self._route
        route("GET", r"/kiosk/config", self.kiosk_config)
        route("GET", r"/catalogue", self.catalogue)
        route("POST", r"/identify", self.identify)
        route("GET", r"/requests", self.my_requests)
        route("POST", r"/requests", self.submit)
        route("GET", r"/requests/(?P<request_id>[^/]+)", self.request_status)
        route("GET", r"/requests/(?P<request_id>[^/]+)/document", self.document)
        route("POST", r"/requests/(?P<request_id>[^/]+)/printed", self.printed)
        route("POST", r"/ratings", self.rating)
        route("POST", r"/heartbeat", self.heartbeat)
        route("POST", r"/admin/requests/(?P<request_id>[^/]+)/sign", self.admin_sign, "admin")
        route("POST", r"/admin/requests/(?P<request_id>[^/]+)/reject", self.admin_reject, "admin")
        route("POST", r"/enrol", self.enrol, "public")
        route("GET", r"/admin/fleet", self.admin_fleet, "admin")
        route("GET", r"/admin/office", self.office_page, "admin")
        route(
            "POST", r"/admin/office/requests/(?P<request_id>[^/]+)/sign", self.office_sign, "admin"
        )
        route(
            "POST",
            r"/admin/office/requests/(?P<request_id>[^/]+)/reject",
            self.office_reject,
            "admin",
        )
        route("GET", r"/admin/figures", self.admin_figures, "admin")
        route("POST", r"/admin/enrolments", self.admin_create_enrolment, "admin")
        route("POST", r"/admin/kiosks/(?P<kiosk_id>[^/]+)/revoke", self.admin_revoke, "admin")
        route("PUT", r"/admin/out-of-service", self.admin_close_kiosks, "admin")
        route("DELETE", r"/admin/out-of-service", self.admin_open_kiosks, "admin")

    def _route(
        self, method: str, pattern: str, handler: Callable[..., Answer], auth: str = "kiosk"
    ) -> None:
        self.routes.append((method, re.compile(API_PREFIX + pattern + "$"), handler, auth))

    # --- kiosk configuration and catalogue ------------------------------------------------

    def kiosk_config(self, rq: Request) -> Answer:
        config = KioskConfig(
            kiosk_id=rq.kiosk_id,
            village=self.office.village,
            services_enabled=list(self.office.services),
            idle_timeout_s=60,
            status_poll_s=2,
            support_phone="0356-000000",
            announcements=list(demo_data.ANNOUNCEMENTS),
            opening_hours=list(demo_data.OPENING_HOURS),
            logo_png=demo_data.logo_png(),
            out_of_service=self.office.out_of_service,
        )
        return json_answer(config)

    def catalogue(self, rq: Request) -> Answer:
        etag = f'"{CATALOGUE_VERSION}"'
        if etag_matches(rq.headers.get("If-None-Match"), CATALOGUE_VERSION):
            return Answer(304, headers={"ETag": etag})
        catalogue = Catalogue(
            version=CATALOGUE_VERSION, services=list(self.office.services.values())
        )
        return json_answer(catalogue, headers={"ETag": etag})

    # --- identification -------------------------------------------------------------------

    def identify(self, rq: Request) -> Answer:
        body = rq.parse_with(IDENTIFY)
        if body.method == "card":
            resident = self.store.resident_by_card(body.card_uid)
            if resident is None:
                raise Reply(
                    404, ErrorCode.UNKNOWN_CARD, "Kartu belum terdaftar.", "Card not registered."
                )
        elif body.method == "sam":
            resident = self._resident_read_by_sam(body)
        else:
            require_valid_nik(body.nik)  # a mistyped NIK is not a wrong PIN: no lock count
            check = self.store.check_pin(body.nik, body.pin, rq.kiosk_id)
            resident = check.resident
            if check.throttled_s:
                log.warning("PIN checks held back %d s at %s: too many misses", check.throttled_s,
                            rq.kiosk_id)  # fmt: skip
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
        token, expires = self.store.new_session(resident.nik)
        log.info("identified %s by %s", mask_nik(resident.nik), body.method)
        session = Session(
            session_token=token,
            expires_at=expires,
            resident=Resident(
                display_name=resident.name, nik_masked=mask_nik(resident.nik), prefill=resident.data
            ),
        )
        return json_answer(session)

    def _resident_read_by_sam(self, body: IdentifyBySam) -> Any:
        """The chip's NIK, read by the kiosk's SAM reader (trusted as the kiosk is)."""
        if body.fingerprint == "not-matched":
            raise Reply(
                401,
                ErrorCode.FINGERPRINT_MISMATCH,
                "Sidik jari tidak cocok dengan e-KTP.",
                "The fingerprint does not match the e-KTP.",
            )
        resident = self.store.resident(body.nik)
        if resident is None:
            raise Reply(
                404,
                ErrorCode.UNKNOWN_RESIDENT,
                "NIK tidak terdaftar sebagai warga desa ini.",
                "This NIK is not a resident of this village.",
            )
        log.info("SAM read of %s by %s", mask_nik(body.nik), body.reader)
        return resident

    def _session_nik(self, rq: Request) -> str:
        nik = self.store.session_nik(rq.headers.get("X-Session-Token", ""))
        if nik is None:
            raise Reply(401, ErrorCode.SESSION_EXPIRED, "Sesi berakhir.", "Session expired.")
        return nik

    # --- requests -----------------------------------------------------------------------

    def my_requests(self, rq: Request) -> Answer:
        nik = self._session_nik(rq)
        rows = self.store.open_requests(nik)
        return json_answer(RequestList(requests=[self.office.answer(r) for r in rows]))

    def submit(self, rq: Request) -> Answer:
        """A letter request: with a session, or taken offline and sent later (`applicant`).

        An offline request names its applicant by card UID or NIK, with nothing to prove
        it; it is stored with identity_verified = False for the back office to check.
        Sending a session and an applicant together is refused (422): one of them would
        be silently ignored, and a kiosk that mixes up two citizens must hear about it.
        """
        if rq.headers.get("X-Session-Token", "").strip():
            nik = self._session_nik(rq)
            key = idempotency_key(rq)
            body = rq.parse(SubmitRequest)
            if body.applicant is not None:
                raise Reply(
                    422,
                    ErrorCode.BAD_REQUEST,
                    "Kirim sesi atau pemohon, tidak keduanya.",
                    "Send either X-Session-Token or applicant, not both.",
                )
        else:
            body = rq.parse(SubmitRequest)
            if body.applicant is None:  # neither a session nor an offline applicant
                raise Reply(401, ErrorCode.SESSION_EXPIRED, "Sesi berakhir.", "Session expired.")
            key = idempotency_key(rq)
            nik = self._applicant_nik(body.applicant)
        if body.submitted_at is not None and body.submitted_at.utcoffset() is None:
            raise Reply(
                422,
                ErrorCode.BAD_REQUEST,
                "Waktu pengajuan tanpa zona waktu.",
                "submitted_at needs a time zone offset.",
            )
        body_hash = submission_hash(nik, body)
        if self.store.idempotent_request(rq.kiosk_id, key) is not None:
            return self._replay_submission(rq.kiosk_id, key, body_hash)
        self._check_form(body)
        request_id, created = self.store.create_request(
            key=key,
            body_hash=body_hash,
            nik=nik,
            kiosk_id=rq.kiosk_id,
            service_code=body.service_code,
            fields={name: value.strip() for name, value in body.fields.items()},
            # The demo skips the operator's review (unverified identities included: the
            # kiosk must be able to fetch the letter); one write, not two, per submit.
            status="awaiting_signature" if self.auto_approve else "under_review",
            identity_verified=body.applicant is None,
            kiosk_reference=body.kiosk_reference,
            submitted_at=body.submitted_at,
        )
        if not created:  # a concurrent retry with the same key got there first
            return self._replay_submission(rq.kiosk_id, key, body_hash)
        if body.applicant is not None:
            log.info("offline request %s for %s, identity unverified", request_id, mask_nik(nik))
        if self.sign_at_once:
            try:
                self.office.sign(request_id)
            except OfficeError:  # the request exists either way; the office can sign later
                log.exception("signing %s at once failed", request_id)
        row = self.office.require(request_id)
        return json_answer(self.office.answer(row), 201)

    def _applicant_nik(self, applicant: ApplicantByCard | ApplicantByNik) -> str:
        """The NIK of an offline request's applicant; 422 if no resident matches."""
        if isinstance(applicant, ApplicantByCard):
            resident = self.store.resident_by_card(applicant.card_uid)
            if resident is None:
                raise Reply(
                    422, ErrorCode.UNKNOWN_CARD, "Kartu belum terdaftar.", "Card not registered."
                )
        else:
            require_valid_nik(applicant.nik)
            resident = self.store.resident(applicant.nik)
            if resident is None:
                raise Reply(
                    422,
                    ErrorCode.UNKNOWN_RESIDENT,
                    "NIK tidak terdaftar sebagai penduduk desa ini.",
                    "No resident of this village has this NIK.",
                )
        return resident.nik

    def _replay_submission(self, kiosk_id: str, key: str, body_hash: str) -> Answer:
        known = self.store.idempotent_request(kiosk_id, key)
        assert known is not None, "idempotency records are never deleted"
        stored_hash, request_id = known
        if stored_hash != body_hash:
            raise Reply(
                409, ErrorCode.IDEMPOTENCY_CONFLICT, "Kunci sudah dipakai.", "Key already used."
            )
        return self._replay(request_id)

    def _replay(self, request_id: str) -> Answer:
        row = self.office.require(request_id)
        return json_answer(self.office.answer(row), 200, {"Idempotent-Replayed": "true"})

    def _check_form(self, body: SubmitRequest) -> None:
        service = self.office.services.get(body.service_code)
        if service is None:
            raise Reply(
                403,
                ErrorCode.SERVICE_UNAVAILABLE,
                "Layanan tidak tersedia.",
                "Service unavailable.",
            )
        errors: dict[str, Text] = {}
        known = {f.name for f in service.fields}
        for name in body.fields:
            if name not in known:
                errors[name] = Text(id="Isian tidak dikenal.", en="Unknown field.")
        for field in service.fields:
            problem = field.problem(body.fields.get(field.name, ""))
            if problem:
                errors[field.name] = problem
        if errors:
            raise Reply(
                422,
                ErrorCode.INVALID_FORM,
                "Isian belum benar.",
                "Form not valid.",
                field_errors=errors,
            )

    def request_status(self, rq: Request, request_id: str) -> Answer:
        return json_answer(self.office.answer(self._row(request_id)))

    def document(self, rq: Request, request_id: str) -> Answer:
        row = self._row(request_id)
        pdf = self.store.document(row.id)
        if pdf is None or row.doc_sha256 is None:
            raise Reply(
                409, ErrorCode.INVALID_STATE, "Surat belum ditandatangani.", "Not signed yet."
            )
        headers = {
            "X-Document-SHA256": row.doc_sha256,
            "Content-Disposition": f'attachment; filename="{row.tracking_code}.pdf"',
        }
        return Answer(200, pdf, "application/pdf", headers)

    def printed(self, rq: Request, request_id: str) -> Answer:
        row = self._row(request_id)
        idempotency_key(rq)  # required by the contract; the state itself makes this idempotent
        body = rq.parse(MarkPrinted)
        if row.doc_sha256 is None or body.document_sha256 != row.doc_sha256:
            raise Reply(
                409, ErrorCode.INVALID_STATE, "Dokumen tidak sesuai.", "Document does not match."
            )
        already_collected = row.status == "collected"
        if row.status == "ready":
            self.store.mark_collected(row.id)  # a concurrent retry may have done it first
            row = self._row(request_id)
        if row.status != "collected":
            raise Reply(
                409, ErrorCode.INVALID_STATE, "Status tidak sesuai.", f"Request is {row.status}."
            )
        if already_collected:
            return self._replay(row.id)
        return json_answer(self.office.answer(row))

    def _row(self, request_id: str) -> RequestRow:
        row = self.store.request(request_id)
        if row is None:
            raise Reply(
                404, ErrorCode.NOT_FOUND, "Permohonan tidak ditemukan.", "Request not found."
            )
        return row

    # --- ratings, heartbeat ------------------------------------------------------------------

    def rating(self, rq: Request) -> Answer:
        body = rq.parse(Rating)
        self.store.add_rating(rq.kiosk_id, body.request_id, body.score)
        return Answer(204)

    def heartbeat(self, rq: Request) -> Answer:
        body = rq.parse(Heartbeat)
        self.store.add_heartbeat(rq.kiosk_id, body.model_dump_json())
        return json_answer(HeartbeatAck(server_time=now(), catalogue_version=CATALOGUE_VERSION))

    # --- admin (the village office) -------------------------------------------------------------

    def admin_sign(self, rq: Request, request_id: str) -> Answer:
        self._row(request_id)
        try:
            row = self.office.sign(request_id)
        except OfficeError as exc:
            raise Reply(409, ErrorCode.INVALID_STATE, str(exc), str(exc)) from None
        return json_answer(self.office.answer(row))

    def admin_reject(self, rq: Request, request_id: str) -> Answer:
        self._row(request_id)
        reason = rq.json_object().get("reason")
        if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= 500:
            raise Reply(
                422,
                ErrorCode.BAD_REQUEST,
                "Alasan wajib diisi (paling banyak 500 karakter).",
                "A reason of 1 to 500 characters is required.",
            )
        try:
            row = self.office.reject(request_id, reason.strip())
        except OfficeError as exc:
            raise Reply(409, ErrorCode.INVALID_STATE, str(exc), str(exc)) from None
        return json_answer(self.office.answer(row))

    # --- the village operator's page (a browser: forms, HTTP Basic) ----------------------

    def office_page(self, rq: Request) -> Answer:
        rows = self.store.requests(newest=OFFICE_PAGE_ROWS)
        names = {code: service.name.id for code, service in self.office.services.items()}
        page = office_page(
            rows, self.store.signature_jobs(), self.office.village.name, rq.query, names
        )
        return Answer(200, page.encode(), content_type="text/html; charset=utf-8")

    def office_sign(self, rq: Request, request_id: str) -> Answer:
        """Queued for the signing worker: the page comes back at once."""
        office_form(rq)
        row = self._row(request_id)
        self.store.queue_signature(row.id)
        log.info("signature of %s queued by the back office", row.tracking_code)
        return back_to_office(f"ditandatangani: {row.tracking_code}")

    def office_reject(self, rq: Request, request_id: str) -> Answer:
        reason = office_form(rq).get("reason", "").strip()
        if not 1 <= len(reason) <= 500:
            return back_to_office("alasan penolakan wajib diisi (paling banyak 500 karakter)")
        try:
            row = self.office.reject(self._row(request_id).id, reason)
        except OfficeError as exc:
            return back_to_office(str(exc))
        return back_to_office(f"ditolak: {row.tracking_code}")

    # --- the district's fleet ----------------------------------------------------------------

    def admin_fleet(self, rq: Request) -> Answer:
        """Every kiosk's latest heartbeat, late ones flagged: JSON, or a page for a browser."""
        fleet = Fleet(late_after_s=self.office.fleet_late_s, kiosks=self._fleet_kiosks())
        if "text/html" in rq.headers.get("Accept", ""):
            return Answer(200, fleet_page(fleet).encode(), content_type="text/html; charset=utf-8")
        return json_answer(fleet)

    def _fleet_kiosks(self) -> list[FleetKiosk]:
        kiosks = []
        for kiosk_id, label, revoked, body, at in self.store.fleet():
            seen = datetime.fromisoformat(at) if at else None
            late = seen is None or (now() - seen).total_seconds() > self.office.fleet_late_s
            beat = _stored_heartbeat(body)
            kiosks.append(
                FleetKiosk(
                    kiosk_id=kiosk_id,
                    label=label,
                    revoked=revoked,
                    last_seen=seen,
                    late=late and not revoked,
                    software_version=beat.software_version if beat else None,
                    uptime_s=beat.uptime_s if beat else None,
                    screen=beat.screen if beat else None,
                    devices=list(beat.devices) if beat else [],
                    paper_low=beat is not None
                    and any(d.paper in ("low", "out") for d in beat.devices),
                    outbox_pending=beat.outbox_pending if beat else None,
                    dead_letters=beat.dead_letters if beat else None,
                )
            )
        return kiosks

    def admin_figures(self, rq: Request) -> Answer:
        """Per kiosk and for the village over a period (?from=YYYY-MM-DD&to=YYYY-MM-DD, both
        days included, village time; the current month by default): JSON, or ?format=csv."""
        first, last = figures_period(rq.query)
        start = datetime.combine(first, dt_time(), wib(now()).tzinfo)
        end = datetime.combine(last + timedelta(days=1), dt_time(), wib(now()).tzinfo)
        elapsed_min = max(0.0, (min(end, now()) - start).total_seconds() / 60)
        village = self.office.village.code
        rows = []
        for row in self.store.figures(start, end):
            beats, kiosks = row.pop("heartbeat_minutes"), row.pop("kiosks", 1)
            if row["kiosk_id"] is None:
                row["label"] = f"Desa {self.office.village.name}"
            rows.append(
                FiguresRow(
                    village_code=village,
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
        if rq.query.get("format") == "csv":
            name = f"apm-figures-{village}-{first.isoformat()}-{last.isoformat()}.csv"
            return Answer(
                200,
                figures_csv(figures).encode(),
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return json_answer(figures)

    # --- enrolment -------------------------------------------------------------------------

    def admin_create_enrolment(self, rq: Request) -> Answer:
        body = rq.parse(EnrolmentCreate)
        token, expires = self.store.create_enrolment(body.label.strip(), body.valid_hours)
        log.info("enrolment token made for %r, valid until %s", body.label, expires.isoformat())
        return json_answer(EnrolmentToken(token=token, label=body.label, expires_at=expires), 201)

    def enrol(self, rq: Request) -> Answer:
        body = rq.parse(Enrol)
        try:
            kiosk_id, device_token, label = self.store.enrol(body.enrolment_token)
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

    def admin_revoke(self, rq: Request, kiosk_id: str) -> Answer:
        if not self.store.revoke_kiosk(kiosk_id):
            raise Reply(404, ErrorCode.NOT_FOUND, "Kios tidak dikenal.", "Unknown kiosk.")
        log.warning("kiosk %s revoked: its device token no longer works", kiosk_id)
        return Answer(204)

    def admin_close_kiosks(self, rq: Request) -> Answer:
        """The office closes its kiosks for a while; they show the reason on the attract
        screen from their next configuration load (at most 10 minutes)."""
        try:
            reason = Text.model_validate(rq.json_object().get("reason"))
        except ValidationError:
            reason = None
        if reason is None or not 1 <= len(reason.id.strip()) <= 300:
            raise Reply(
                422,
                ErrorCode.BAD_REQUEST,
                'Alasan wajib diisi: {"reason": {"id": "...", "en": "..."}}, paling banyak '
                "300 karakter.",
                'A reason is required: {"reason": {"id": "...", "en": "..."}}, at most 300 '
                "characters.",
            )
        self.office.out_of_service = reason
        return json_answer(reason)

    def admin_open_kiosks(self, rq: Request) -> Answer:
        self.office.out_of_service = None
        return Answer(204)


def figures_period(query: dict[str, str]) -> tuple[date, date]:
    """The days asked for: both given, or this month so far (village time)."""
    today = wib(now()).date()
    try:
        first = date.fromisoformat(query.get("from", today.replace(day=1).isoformat()))
        last = date.fromisoformat(query.get("to", today.isoformat()))
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


def figures_csv(figures: Figures) -> str:
    """One line a kiosk and one for the village (kiosk_id empty), with a header."""
    out = io.StringIO()
    fields = list(FiguresRow.model_fields)
    writer = csv.writer(out)
    writer.writerow(["period_from", "period_to", *fields])
    for row in figures.rows:
        values = row.model_dump()
        writer.writerow(
            [figures.period_from, figures.period_to]
            + ["" if values[f] is None else values[f] for f in fields]
        )
    return out.getvalue()


# A field every back-office form carries: a page of another site cannot read it, so it
# cannot make the operator's browser sign or reject (the browser would send the Basic login).
FORM_GUARD = hmac.new(demo_data.ADMIN_TOKEN.encode(), b"back-office form", "sha256").hexdigest()
OFFICE_PAGE = API_PREFIX + "/admin/office"
OFFICE_PAGE_ROWS = 200  # the newest requests; older ones through apm-server list
STATUS_WORDS = {
    "under_review": "diperiksa",
    "awaiting_signature": "menunggu tanda tangan",
    "ready": "siap dicetak",
    "collected": "sudah dicetak",
    "rejected": "ditolak",
    "cancelled": "dibatalkan",
    "incomplete": "belum lengkap",
}


def office_form(rq: Request) -> dict[str, str]:
    """A form the page sent (urlencoded), refused without the page's guard field."""
    fields = {k: v[-1] for k, v in parse_qs(rq.body.decode("utf-8", "replace")).items()}
    if not secrets.compare_digest(fields.get("guard", ""), FORM_GUARD):
        raise Reply(
            403,
            ErrorCode.FORBIDDEN,
            "Formulir tidak berasal dari halaman kantor desa.",
            "The form did not come from the back-office page.",
        )
    return fields


def back_to_office(said: str) -> Answer:
    """303: the browser shows the page again (a reload does not send the form twice)."""
    return Answer(303, headers={"Location": f"{OFFICE_PAGE}?{urlencode({'said': said})}"})


def office_page(
    rows: list[RequestRow],
    jobs: dict[str, str | None],
    village: str,
    query: dict[str, str],
    service_names: dict[str, str],
) -> str:
    """Incoming requests, newest first, NIK masked; sign or reject those waiting."""
    e = html.escape
    lines = []
    for r in rows:
        state = STATUS_WORDS.get(r.status, r.status)
        if r.id in jobs:
            state = f"gagal ditandatangani: {jobs[r.id]}" if jobs[r.id] else "sedang ditandatangani"
        actions = ""
        if r.status in ("under_review", "awaiting_signature") and jobs.get(r.id, "") is not None:
            target = f"{OFFICE_PAGE}/requests/{quote(r.id, safe='')}"
            guard = f"<input type='hidden' name='guard' value='{FORM_GUARD}'>"
            actions = (
                f"<form method='post' action='{target}/sign'>{guard}"
                "<button>Tandatangani</button></form>"
                f"<form method='post' action='{target}/reject'>{guard}"
                "<input name='reason' placeholder='alasan penolakan' required maxlength='500'>"
                "<button>Tolak</button></form>"
            )
        fields = "<br>".join(f"{e(k)}: {e(v)}" for k, v in r.fields.items())
        lines.append(
            "<tr>"
            + "".join(
                f"<td>{c}</td>"
                for c in (
                    e(r.tracking_code),
                    e(wib(r.created_at).strftime("%d-%m-%Y %H.%M")),
                    e(service_names.get(r.service_code, r.service_code)),
                    e(mask_nik(r.nik)),
                    fields,
                    e(state) + (f"<br>{e(r.reject_reason)}" if r.reject_reason else ""),
                    actions,
                )
            )
            + "</tr>"
        )
    said = f"<p class='said'>{e(query['said'])}</p>" if query.get("said") else ""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Nomor", "Masuk (WIB)", "Layanan", "NIK", "Isian", "Keadaan", "Tindakan")
    )
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        f"<title>Kantor Desa {e(village)}: permohonan</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.3em .6em;vertical-align:top}"
        "form{display:inline-block;margin:.2em}.said{background:#e6f4ea;padding:.5em}"
        "</style></head><body>"
        f"<h1>Permohonan surat, Desa {e(village)}</h1>{said}"
        f"<table><tr>{head}</tr>{''.join(lines)}</table></body></html>"
    )


def retry_later(status: int, code: ErrorCode, seconds: int, said_id: str, said_en: str) -> Reply:
    """A refusal for now: when to try again, in the body and in Retry-After."""
    return Reply(
        status, code, said_id, said_en, retry_after_s=seconds, headers={"Retry-After": str(seconds)}
    )


def _stored_heartbeat(body: str | None) -> Heartbeat | None:
    """A kept heartbeat, or None if none (or one an older version kept in another shape)."""
    try:
        return Heartbeat.model_validate_json(body) if body else None
    except ValidationError:
        return None


def _basic_password(header: str) -> str:
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ").strip(), validate=True)
        return decoded.decode("utf-8").partition(":")[2]
    except (ValueError, UnicodeDecodeError):
        return ""


def fleet_page(fleet: Fleet) -> str:
    """The fleet as a plain page for district staff: late kiosks first, then by id."""
    rows = []
    for k in sorted(fleet.kiosks, key=lambda k: (not k.late, k.kiosk_id)):
        state = "dicabut" if k.revoked else ("TERLAMBAT" if k.late else "baik")
        devices = "<br>".join(
            html.escape(f"{d.role}: {d.availability}" + (f" ({d.paper})" if d.paper else ""))
            + (f" &ndash; {html.escape(d.detail)}" if d.detail else "")
            for d in k.devices
        )
        seen = wib(k.last_seen).strftime("%d-%m-%Y %H.%M WIB") if k.last_seen else "-"
        cells = [
            html.escape(k.kiosk_id),
            html.escape(k.label),
            state,
            seen,
            html.escape(k.software_version or "-"),
            html.escape(k.screen or "-"),
            devices or "-",
            "kertas menipis" if k.paper_low else "",
            str(k.outbox_pending if k.outbox_pending is not None else "-"),
            str(k.dead_letters if k.dead_letters is not None else "-"),
        ]
        style = ' class="late"' if k.late else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Kios", "Nama", "Keadaan", "Terakhir terlihat", "Versi", "Layar",
                  "Perangkat", "Kertas", "Antrean", "Gagal terkirim")
    )  # fmt: skip
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='60'><title>Armada APM</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.3em .6em;vertical-align:top}"
        "tr.late{background:#fde2e1}</style></head><body>"
        f"<h1>Armada APM</h1><p>{len(fleet.kiosks)} kios; terlambat bila tidak terdengar "
        f"lebih dari {fleet.late_after_s} detik.</p>"
        f"<table><tr>{head}</tr>{''.join(rows)}</table></body></html>"
    )


def idempotency_key(rq: Request) -> str:
    """The Idempotency-Key header: 8 to 200 visible ASCII characters (a UUID fits)."""
    key = rq.headers.get("Idempotency-Key", "").strip()
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise Reply(
            400,
            ErrorCode.BAD_REQUEST,
            "Idempotency-Key wajib (8-200 karakter).",
            "Idempotency-Key required (8-200 visible ASCII characters).",
        )
    return key


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


class Request:
    def __init__(self, headers: Any, body: bytes, kiosk_id: str = "", query: str = "") -> None:
        self.headers, self.body, self.kiosk_id = headers, body, kiosk_id
        self.query = {k: v[-1] for k, v in parse_qs(query).items()}

    def parse(self, model: type[Any]) -> Any:
        try:
            return model.model_validate_json(self.body)
        except ValidationError as exc:
            raise _bad_body(exc) from None

    def parse_with(self, adapter: TypeAdapter[Any]) -> Any:
        try:
            return adapter.validate_json(self.body)
        except ValidationError as exc:
            raise _bad_body(exc) from None

    def json_object(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise Reply(
                400,
                ErrorCode.BAD_REQUEST,
                "Isi permintaan bukan JSON.",
                "Body is not a JSON object.",
            )
        return value


def require_valid_nik(nik: str) -> None:
    """422 with what is wrong (field_errors.nik) unless `nik` is a well-formed NIK."""
    problem = check_nik(nik, today=wib(now()).date())
    if problem is not None:
        raise _nik_reply(problem.id, problem.en)


def _nik_reply(message: str, en: str) -> Reply:
    return Reply(
        422, ErrorCode.BAD_REQUEST, message, en, field_errors={"nik": Text(id=message, en=en)}
    )


def _bad_body(exc: ValidationError) -> Reply:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    typed = first.get("input")
    if first["loc"] and first["loc"][-1] == "nik" and isinstance(typed, str):
        problem = check_nik(typed, today=wib(now()).date())
        if problem is not None:  # say what is wrong with it (length, digits, ...)
            return _nik_reply(problem.id, problem.en)
    return Reply(
        422,
        ErrorCode.BAD_REQUEST,
        f"Permintaan tidak valid ({where}).",
        f"Invalid request: {where}: {first['msg']}",
    )


IDLE_S = 30.0  # a kept-alive connection's wait for its next request
REQUEST_S = 15.0  # a request, from its first byte to the last of its body


class DeadlineSocket(io.RawIOBase):
    """The connection's bytes with one deadline per request: every receive waits only for
    the time left, so a client spacing its bytes out is cut off at the deadline however
    it spaces them. The first receive of a request waits the idle time instead, and
    starts the request's clock."""

    def __init__(self, connection: socket.socket) -> None:
        super().__init__()
        self._connection = connection
        self._deadline: float | None = None

    def next_request(self) -> None:
        self._deadline = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._deadline is None:
            self._connection.settimeout(IDLE_S)
        else:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("request not received in time")
            self._connection.settimeout(left)
        received = self._connection.recv_into(buffer)
        if self._deadline is None:
            self._deadline = time.monotonic() + REQUEST_S
        return received


def make_handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"apm-server/{__version__}"
        # A kept-alive connection that sends nothing frees its thread after IDLE_S; once a
        # request begins, all of it (line, headers, body) must arrive within REQUEST_S, so
        # a client trickling a byte now and then cannot hold a thread for long either.
        timeout = IDLE_S

        def setup(self) -> None:
            super().setup()
            self._incoming = DeadlineSocket(self.connection)
            self.rfile = io.BufferedReader(self._incoming)

        def handle_one_request(self) -> None:
            self._incoming.next_request()
            super().handle_one_request()

        # TCP_NODELAY: each answer is one write (see _send), so nothing is gained by
        # letting the kernel hold back a small last segment until the client's ACK.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        # Methods the API does not use still get an ApiError (405/404), not an HTML page.
        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def log_message(self, format: str, *args: Any) -> None:
            # Paths carry request ids and tracking codes, never a NIK or a card UID.
            log.debug("%s %s", self.address_string(), format % args)

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """http.server's own errors as ApiError JSON.

            It raises them for what the client sent (a garbled request line, too many
            headers, a method no handler exists for), hence bad_request even for a 501.
            """
            reason = message or HTTPStatus(code).phrase
            error = ApiError(
                code=ErrorCode.BAD_REQUEST, message=Text(id="Permintaan tidak valid.", en=reason)
            )
            self.close_connection = True
            self._send(Answer(code, error.model_dump_json().encode()))

        def _handle(self, method: str) -> None:
            try:
                answer = self._dispatch(method)
            except TimeoutError:  # the body did not come in time: nobody to answer
                log.info("request from %s timed out", self.address_string())
                self.close_connection = True
                return
            except Reply as reply:
                answer = reply.answer()
            except Exception:
                log.exception("internal error on %s %s", method, urlsplit(self.path).path)
                error = ApiError(
                    code=ErrorCode.INTERNAL,
                    message=Text(id="Kesalahan server.", en="Server error."),
                )
                answer = Answer(500, error.model_dump_json().encode())
            self._send(answer)

        def _dispatch(self, method: str) -> Answer:
            url = urlsplit(self.path)
            body = self._body()  # read first, so no unread bytes stay on a kept-alive connection
            if method == "GET" and url.path == "/healthz":
                return Answer(200, b"ok", "text/plain; charset=utf-8")
            if method == "GET" and url.path.startswith("/verify/"):
                return verify_page(
                    api.office, url.path.removeprefix("/verify/"), parse_qs(url.query)
                )
            allowed = []
            for route_method, pattern, handler, auth in api.routes:
                match = pattern.match(url.path)
                if match and route_method == method:
                    return handler(
                        Request(self.headers, body, self._authorise(auth), url.query),
                        **match.groupdict(),
                    )
                if match:
                    allowed.append(route_method)
            if allowed:
                raise Reply(
                    405,
                    ErrorCode.BAD_REQUEST,
                    "Metode tidak diizinkan.",
                    "Method not allowed.",
                    headers={"Allow": ", ".join(allowed)},
                )
            raise Reply(404, ErrorCode.NOT_FOUND, "Alamat tidak dikenal.", "Unknown endpoint.")

        def _authorise(self, needed: str) -> str:
            header = self.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
            if needed == "public":  # the body carries its own proof (an enrolment token)
                return ""
            if header.startswith("Basic "):  # a browser on the fleet page: any user name
                token = _basic_password(header)
            if needed == "admin" and secrets.compare_digest(token, demo_data.ADMIN_TOKEN):
                return "admin"
            kiosk_id = api.store.kiosk_for_token(token) if token and needed == "kiosk" else None
            if kiosk_id is None:
                raise Reply(
                    401,
                    ErrorCode.UNAUTHORIZED,
                    "Tidak berwenang.",
                    "Unauthorized.",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return kiosk_id

        def _body(self) -> bytes:
            """The body by its Content-Length; any other framing is refused, never guessed.

            A chunked body read as empty would leave its chunks to be taken as the next
            request on the connection; so would one of two disagreeing lengths.
            """
            if "Transfer-Encoding" in self.headers:  # chunked bodies: not needed by the API
                self.close_connection = True
                raise Reply(
                    411, ErrorCode.BAD_REQUEST, "Content-Length wajib.", "Content-Length required."
                )
            lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
            announced = lengths.pop() if len(lengths) == 1 else ("0" if not lengths else "")
            if not announced.isdigit():  # not a length: the body's end is unknown
                self.close_connection = True
                raise Reply(
                    400, ErrorCode.BAD_REQUEST, "Panjang isi tidak valid.", "Bad Content-Length."
                )
            length = int(announced)
            if length > MAX_BODY:
                self.close_connection = True  # the unread body must not be taken as a request
                raise Reply(
                    413, ErrorCode.BAD_REQUEST, "Permintaan terlalu besar.", "Request too large."
                )
            return self.rfile.read(length) if length else b""

        def _send(self, answer: Answer) -> None:
            """The whole answer in one write: status line, headers and body together.

            Headers and body in separate writes cost ~40 ms per kept-alive request
            (Nagle's algorithm waits for the client's delayed ACK of the first part).
            """
            # The request's deadline is over: a letter to a kiosk on a slow village link
            # gets the idle time for each part of the write, not what the request left.
            self.connection.settimeout(IDLE_S)
            with_body = answer.status not in (204, 304) and self.command != "HEAD"
            self.log_request(answer.status)
            if self.request_version == "HTTP/0.9":  # no status line, no headers: a bare body
                self.wfile.write(answer.body)
                return
            phrase = self.responses[answer.status][0] if answer.status in self.responses else ""
            lines = [
                f"{self.protocol_version} {answer.status} {phrase}",
                f"Server: {self.version_string()}",
                f"Date: {self.date_time_string()}",
            ]
            if self.close_connection:
                lines.append("Connection: close")
            lines += [f"{name}: {value}" for name, value in (answer.headers or {}).items()]
            if with_body:
                lines.append(f"Content-Type: {answer.content_type}")
                lines.append(f"Content-Length: {len(answer.body)}")
            elif answer.status != 304:  # a 304 must not announce a length of its own
                lines.append("Content-Length: 0")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")
            self.wfile.write(head + answer.body if with_body else head)

    return Handler


STATUS_LABELS = {
    "incomplete": "Belum lengkap",
    "under_review": "Sedang diperiksa",
    "awaiting_signature": "Menunggu tanda tangan Kepala Desa",
    "ready": "Sah, telah ditandatangani",
    "collected": "Sah, telah ditandatangani dan dicetak",
    "cancelled": "Dibatalkan",
    "rejected": "Ditolak",
}


def verify_page(office: Office, request_id: str, query: dict[str, list[str]]) -> Answer:
    """The page the letter's QR code opens (on anyone's phone): is this letter genuine?"""
    row = office.store.request(request_id)
    code = (query.get("code") or [""])[0]
    if row is None or not secrets.compare_digest(row.tracking_code, code):
        page = (
            "<h1>Surat tidak ditemukan</h1>"
            "<p>Kode verifikasi tidak cocok dengan surat mana pun dari desa ini.</p>"
        )
        return Answer(404, _html_page(page).encode(), "text/html; charset=utf-8")
    service = office.services.get(row.service_code)
    resident = office.store.resident(row.nik)
    village = office.village
    rows = [
        ("Nomor surat", row.letter_number or "(belum ditandatangani)"),
        ("Tanggal", indonesian_date(wib(row.signed_at)) if row.signed_at else "-"),
        ("Perihal", service.name.id if service else row.service_code),
        ("Pemohon", f"{resident.name if resident else '-'} (NIK {mask_nik(row.nik)})"),
        ("Penanda tangan", f"{village.head_name}, Kepala Desa {village.name}"),
        ("Status", STATUS_LABELS.get(row.status, row.status)),
        ("SHA-256 dokumen", row.doc_sha256 or "-"),
    ]
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    page = (
        f"<h1>Verifikasi surat Desa {html.escape(village.name)}</h1>"
        f"<p>{html.escape(f'Kecamatan {village.district}, {village.regency}')}</p>"
        f"<table>{table}</table>"
        "<p class='note'>Cocokkan isi surat yang Anda pegang dengan data di atas. "
        "Berkas PDF asli memuat tanda tangan elektronik yang dapat diperiksa; "
        "SHA-256 di atas adalah sidik berkas tersebut.</p>"
    )
    return Answer(200, _html_page(page).encode(), "text/html; charset=utf-8")


def _html_page(body: str) -> str:
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Verifikasi surat</title><style>"
        "body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"
        "th{text-align:left;padding-right:1em;vertical-align:top}"
        "td{overflow-wrap:anywhere}.note{color:#555;font-size:90%}"
        f"</style></head><body>{body}</body></html>"
    )


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


class Server(ThreadingHTTPServer):
    """The HTTP server, which can also cut its open connections.

    Stopping the serve loop and closing the listening socket leaves kept-alive connections
    served by their own threads; `close_connections` ends them, so a stopped server is
    really gone (as after an outage), not answering old connections for another minute.
    """

    daemon_threads = True
    request_queue_size = 512  # listen backlog: 200 kiosks connecting at once are all taken

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            open_now, self._open = self._open, set()
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def build_server(
    state_dir: Path,
    host: str,
    port: int,
    *,
    auto_sign_delay_s: float | None,
    demo: bool,
    public_url: str | None,
) -> tuple[Server, Office, AutoSigner | None]:
    office = Office(state_dir, demo=demo)
    api = Api(office, auto_approve=demo, sign_at_once=demo and auto_sign_delay_s == 0)
    httpd = Server((host, port), make_handler(api))
    office.public_url = (public_url or f"http://{host}:{httpd.server_port}").rstrip("/")
    # With no delay the demo signs inside the submit itself; otherwise a thread plays the
    # village head.
    signer = AutoSigner(office, auto_sign_delay_s) if auto_sign_delay_s else None
    return httpd, office, signer


def start_server(
    state_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    auto_sign_delay_s: float | None = None,
    demo: bool = True,
    public_url: str | None = None,
) -> RunningServer:
    """Serve API v1 from a daemon thread; state (db, demo CA) lives in `state_dir`.

    port 0 picks a free port (see `.url`). auto_sign_delay_s: None leaves signing to the
    admin endpoint or `apm-server sign`; 0 signs inside the submit; S > 0 signs S seconds
    after submission. demo: a new database gets the demo residents, and requests skip the
    operator's review (offline ones with an unverified identity too); without it there are
    no residents until `office.store.add_resident` registers some, and requests wait in
    under_review. The demo kiosk token works either way.
    public_url: base of the verification links in letters (default: `.url`).
    """
    httpd, office, signer = build_server(
        state_dir, host, port, auto_sign_delay_s=auto_sign_delay_s, demo=demo, public_url=public_url
    )
    # A short poll keeps stop() quick; the idle cost is ten wake-ups a second.
    serve = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="apm-server", daemon=True
    )
    serve.start()
    office.start_signing()
    if signer is not None:
        signer.start()

    def stop() -> None:
        if signer is not None:
            signer.stopping.set()
            signer.join(timeout=10)  # let a signature in progress finish writing
        office.stop_signing()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        office.store.close()

    return RunningServer(
        url=f"http://{host}:{httpd.server_port}",
        kiosk_token=demo_data.KIOSK_TOKEN,
        admin_token=demo_data.ADMIN_TOKEN,
        ca_cert_path=office.ca.ca_cert,
        office=office,
        stop=stop,
    )


__all__ = ["HTTPStatus", "RunningServer", "start_server"]
