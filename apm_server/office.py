"""The village office's side: turning stored requests into answers, signing, rejecting.

Used by the HTTP server, its auto-signer and the `apm-server sign/reject` commands alike.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from apm_api.models import DocumentInfo, LetterRequest, RequestStatus, Service, Text, Village
from apm_server import demo_data
from apm_server.letter import (
    LetterContent,
    indonesian_date,
    letter_number,
    render_letter,
    service_paragraph,
)
from apm_server.signing import DemoCA, ensure_demo_ca, ensure_village_signer, sign_pdf
from apm_server.store import RequestRow, Store, VillageRow, mask_nik, now, wib

log = logging.getLogger(__name__)

DB_NAME = "apm-server.sqlite3"
ALL_VILLAGES = "*"
# Letters signed inside submits at once, per process (the demo): each is ~60 ms of CPU, so
# more only queue behind each other for the one core Python code runs on.
INLINE_SIGNERS = 2
INLINE_WAIT_S = 0.2
VILLAGE_CACHE_S = 30.0  # a village renamed or given a service shows within this


class OfficeError(Exception):
    """A back-office action that cannot be done (unknown request, wrong state)."""


class Office:
    def __init__(
        self,
        state_dir: Path,
        public_url: str = "http://127.0.0.1:8080",
        *,
        demo: bool = False,
        database_url: str | None = None,
    ) -> None:
        """demo: a database without residents gets the demo residents (see Store).
        database_url: a SQLAlchemy URL (PostgreSQL for a district); by default the SQLite
        file in state_dir."""
        self.state_dir = state_dir
        self.public_url = public_url.rstrip("/")
        self.store = Store(database_url or state_dir / DB_NAME, demo=demo)
        self.village = demo_data.VILLAGE  # the demo village: a new database's first
        # The district's catalogue: every service any of its villages may offer.
        self.services = {s.code: s for s in demo_data.SERVICES}
        self._villages: dict[str, tuple[float, VillageRow]] = {}
        self._ca: DemoCA | None = None
        self._signer: SigningWorker | None = None
        self._signing_lock = SigningLock(state_dir / "signing.lock")
        self._inline_signing = threading.BoundedSemaphore(INLINE_SIGNERS)
        # The fleet view flags a kiosk not heard from for this long (3 missed heartbeats).
        self.fleet_late_s = 180

    @property
    def ca(self) -> DemoCA:
        if self._ca is None:
            self._ca = ensure_demo_ca(
                self.state_dir / "demo-ca", self.village.head_name, self.village.name
            )
        return self._ca

    def village_row(self, code: str) -> VillageRow:
        """A village and its services, remembered for a short while (asked per request)."""
        known = self._villages.get(code)
        if known is not None and time.monotonic() - known[0] < VILLAGE_CACHE_S:
            return known[1]
        row = self.store.village(code)
        if row is None:
            raise OfficeError(f"no village {code!r}")
        self._villages[code] = (time.monotonic(), row)
        return row

    def village_of(self, code: str) -> Village:
        return self.village_row(code).village

    def services_of(self, code: str) -> dict[str, Service]:
        """The services this village's kiosks offer, in the village's order."""
        enabled = self.village_row(code).services
        return {c: self.services[c] for c in enabled if c in self.services}

    def ca_for(self, code: str) -> DemoCA:
        """The village head's signing certificate, under the district's one demo CA."""
        if code == self.village.code:
            return self.ca
        village = self.village_of(code)
        return ensure_village_signer(self.ca, code, village.head_name, village.name)

    def verify_url(self, row: RequestRow) -> str:
        return f"{self.public_url}/verify/{row.id}?code={row.tracking_code}"

    def answer(self, row: RequestRow) -> LetterRequest:
        service = self.services.get(row.service_code)
        document = None
        if row.doc_sha256 and row.doc_size and row.letter_number and row.signed_at:
            document = DocumentInfo(
                sha256=row.doc_sha256,
                size=row.doc_size,
                letter_number=row.letter_number,
                signed_at=row.signed_at,
            )
        return LetterRequest(
            id=row.id,
            tracking_code=row.tracking_code,
            service_code=row.service_code,
            service_name=service.name if service else Text(id=row.service_code),
            status=RequestStatus(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
            reject_reason=Text(id=row.reject_reason) if row.reject_reason else None,
            document=document,
            verify_url=self.verify_url(row),
            identity_verified=row.identity_verified,
            kiosk_reference=row.kiosk_reference,
        )

    def require(self, request_id: str) -> RequestRow:
        row = self.store.request(request_id)
        if row is None:
            raise OfficeError(f"no request {request_id!r}")
        return row

    def sign(self, request_id: str) -> RequestRow:
        """Make the letter, sign it, and mark the request ready."""
        row = self.require(request_id)
        if row.status == "under_review":
            self.store.set_status(row.id, "awaiting_signature")
            row = self.require(request_id)
        if row.status != "awaiting_signature":
            raise OfficeError(f"request {request_id} is {row.status}, not awaiting a signature")
        issued = wib(now())
        service = self.services[row.service_code]
        village = self.village_of(row.village_code)
        number = letter_number(
            demo_data.LETTER_CODES.get(row.service_code, "470"),
            self.store.next_letter_number(issued.year, village=village.code),
            village,
            issued,
        )
        pdf = render_letter(self._content(row, service, number, issued, village))
        signed = sign_pdf(
            pdf,
            self.ca_for(village.code),
            reason=f"{service.name.id} {number}",
            location=f"Desa {village.name}",
        )
        # The letter's date and the recorded signing time are the same moment.
        if not self.store.store_document(row.id, number, signed, issued.astimezone(UTC)):
            raise OfficeError(f"request {request_id} changed while it was being signed")
        log.info("signed %s as %s", row.tracking_code, number)
        return self.require(request_id)

    def sign_now_or_queue(self, request_id: str) -> None:
        """The demo's signature inside the submit, when a signing slot is free within a
        moment; on a busy server, and after any failure, the signature is queued for the
        signing worker instead. The submit is answered either way (awaiting its signature
        if queued), never held behind a queue of signatures until the kiosk gives up."""
        if not self._inline_signing.acquire(timeout=INLINE_WAIT_S):
            self.store.queue_signature(request_id)
            return
        try:
            self.sign(request_id)
        except Exception:  # the request is saved whatever went wrong: sign it later
            log.exception("signing %s at once failed; queued", request_id)
            self.store.queue_signature(request_id)
        finally:
            self._inline_signing.release()

    def signing_turn(self) -> bool:
        """Whether this process is the one that signs (see SigningLock)."""
        return self._signing_lock.held()

    def start_signing(self, poll_s: float = 0.2) -> None:
        """The back office's signatures are made here, on a worker thread, from the queue in
        the database: the operator's page returns at once and a slow signer (a PDF, a
        signature, a hardware token one day) never holds up a request thread."""
        if self._signer is None:
            self._signer = SigningWorker(self, poll_s)
            self._signer.start()

    def stop_signing(self) -> None:
        signer, self._signer = self._signer, None
        if signer is not None:
            signer.stopping.set()
            signer.join(timeout=10)  # a signature in progress finishes writing
        self._signing_lock.release()

    def reject(self, request_id: str, reason: str) -> RequestRow:
        row = self.require(request_id)
        if row.status not in ("under_review", "awaiting_signature", "incomplete"):
            raise OfficeError(f"request {request_id} is {row.status} and cannot be rejected")
        self.store.set_status(row.id, "rejected", reject_reason=reason)
        return self.require(request_id)

    def _content(
        self, row: RequestRow, service: Service, number: str, issued: datetime, village: Village
    ) -> LetterContent:
        resident = self.store.resident(row.nik)
        data = dict(resident.data) if resident else {}
        data["name"] = resident.name if resident else "-"
        data["nik"] = row.nik  # the letter itself carries the full NIK, as paper letters do
        birth = data.get("birth_date")
        if birth:
            data["birth_date_text"] = indonesian_date(date.fromisoformat(birth))
        return LetterContent(
            village=village,
            title=service.name.id,
            number=number,
            resident=data,
            paragraph=service_paragraph(row.service_code, row.fields, village),
            purpose=_purpose(service, row.fields),
            issued=issued,
            verify_url=self.verify_url(row),
        )


def _purpose(service: Service, fields: dict[str, str]) -> str | None:
    """The form's "keperluan" as the letter states it (a choice by its label), if asked."""
    field = next((f for f in service.fields if f.name == "keperluan"), None)
    value = fields.get("keperluan", "").strip()
    if field is None or not value:
        return None
    return next((c.label.id for c in field.choices if c.value == value), value)


def describe(row: RequestRow) -> str:
    """One line of `apm-server list`; an offline request says its identity is unchecked."""
    line = (
        f"{row.id}  {row.tracking_code}  {row.service_code:<5} {row.status:<18} {mask_nik(row.nik)}"
    )
    if not row.identity_verified:
        line += "  identity: unverified (sent offline"
        if row.kiosk_reference:
            line += f", kiosk ref {row.kiosk_reference}"
        if row.submitted_at:
            line += f", confirmed {wib(row.submitted_at):%Y-%m-%d %H:%M} WIB"
        line += ")"
    return line


class SigningWorker(threading.Thread):
    """Signs what the back office queued, oldest first; a failure is kept with its reason
    for the page, and the job waits until the operator asks again."""

    def __init__(self, office: Office, poll_s: float) -> None:
        super().__init__(name="back-office-signer", daemon=True)
        self.office, self.poll_s = office, poll_s
        self.stopping = threading.Event()

    def run(self) -> None:
        store = self.office.store
        while not self.stopping.wait(self.poll_s):
            if not self.office.signing_turn():
                continue
            while (request_id := store.next_signature()) is not None:
                try:
                    self.office.sign(request_id)
                    store.finish_signature(request_id, None)
                except OfficeError as exc:
                    store.finish_signature(request_id, str(exc))
                except Exception as exc:
                    log.exception("signing %s failed", request_id)
                    store.finish_signature(request_id, f"{type(exc).__name__}: {exc}")
                if self.stopping.is_set():
                    return


class SigningLock:
    """Held by the one process of a server that signs (`apm-server serve --workers N` runs
    N): two processes signing the same request would both take a letter number, leaving
    a gap in the village's register. A lock on a file in the state directory, so the
    workers of one host agree whichever database they share; if the signing process dies,
    the lock goes with it and another takes over at its next try."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self._guard = threading.Lock()

    def held(self) -> bool:
        with self._guard:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                candidate = open(self.path, "ab")  # noqa: SIM115 - kept open while held
                try:
                    fcntl.flock(candidate, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    candidate.close()
                    return False
                self._file = candidate
            return True

    def release(self) -> None:
        with self._guard:
            if self._file is not None:
                self._file.close()  # closing the file releases the lock
                self._file = None
