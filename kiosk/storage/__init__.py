"""What the kiosk keeps on its own disk, so that nothing a citizen did is lost.

`KioskStorage.open(state_dir)` opens the one database (see db.py) and the letters folder,
and bundles the parts: the outbox (what the backend must still hear), the requests made
here (for pickup and prefetch), the print journal (exactly-once printing), the letters,
and the cache of the kiosk's configuration. All of it is safe to use from several
threads. Personal data stays only as long as it is needed: see `retention_sweep`.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apm_api.models import ApplicantByCard, ApplicantByNik, SubmitRequest
from kiosk.localtime import queue_number
from kiosk.pickup import new_kiosk_reference
from kiosk.storage.cache import Cache
from kiosk.storage.db import KioskDB, SchemaTooNew, StateLocked, StorageClosed, StorageError
from kiosk.storage.documents import LetterFiles
from kiosk.storage.journal import JobState, JournalError, PrintJob, PrintJournal
from kiosk.storage.outbox import DuplicateKey, Outbox, OutboxItem, OutboxKind
from kiosk.storage.requests import LocalRequest, LocalRequests

log = logging.getLogger(__name__)

LETTERS_FOLDER = "letters"
DAY_S = 86400.0


class KioskStorage:
    def __init__(self, db: KioskDB, letters: LetterFiles, *, clock: Any = time.time) -> None:
        self.db = db
        self.outbox = Outbox(db, clock=clock)
        self.requests = LocalRequests(db, clock=clock)
        self.journal = PrintJournal(db, self.outbox, clock=clock)
        self.letters = letters
        self.cache = Cache(db, clock=clock)

    @classmethod
    def open(cls, state_dir: Path | str, *, clock: Any = time.time) -> KioskStorage:
        db = KioskDB.open(Path(state_dir))
        try:
            letters = LetterFiles(db.state_dir / LETTERS_FOLDER)
        except BaseException:
            db.close()
            raise
        return cls(db, letters, clock=clock)

    def close(self) -> None:
        self.db.close()

    def queue_submit(
        self,
        request: SubmitRequest,
        *,
        session_token: str | None,
        service_name: dict[str, Any],
        pickup_code: str,
        key: str | None = None,
        card_uid: str | None = None,
        nik: str | None = None,
    ) -> tuple[LocalRequest, OutboxItem]:
        """Record a confirmed request and queue it for the backend, in one transaction.

        The local id is the request's kiosk_reference (one is made when it has none);
        submitted_at is set to now when missing. The sync worker sends the request with
        `session_token` when there is one, and falls back to `request.applicant` without
        a session when that token has expired. `key` is the idempotency key (the flow's,
        made once per confirmed draft). The card UID or NIK (by default the applicant's)
        is kept only as a hash, for the citizen to find the request again.
        """
        applicant = request.applicant
        if card_uid is None and isinstance(applicant, ApplicantByCard):
            card_uid = applicant.card_uid
        if nik is None and isinstance(applicant, ApplicantByNik):
            nik = applicant.nik
        local_id = request.kiosk_reference or new_kiosk_reference()
        request = request.model_copy(
            update={
                "kiosk_reference": local_id,
                "submitted_at": request.submitted_at or datetime.now(UTC),
            }
        )
        body = {
            "request": request.model_dump(mode="json", exclude_none=True),
            "session_token": session_token,
        }
        with self.db.transaction() as tx:
            item = self.outbox.add(OutboxKind.SUBMIT, body, key=key, local_id=local_id, tx=tx)
            local = self.requests.create(
                local_id=local_id,
                submit_item=item.id,
                service_code=request.service_code,
                service_name=service_name,
                pickup_code=pickup_code,
                card_uid=card_uid,
                nik=nik,
                identity_verified=session_token is not None,
                tx=tx,
            )
        return local, item

    def next_queue_number(self, today: datetime) -> str:
        """This kiosk's next queue number for `today` (the village's date): ddmmyy-NNN,
        from 1 each day, counted on disk so a restart never gives a number twice."""
        day = today.strftime("%d%m%y")
        with self.db.transaction(durable=False) as tx:  # made durable by the next commit
            row = tx.execute("SELECT value FROM meta WHERE name = 'queue_number'").fetchone()
            last_day, _, last = (row[0] if row else "").partition("-")
            number = int(last) + 1 if last_day == day and last.isdigit() else 1
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('queue_number', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (f"{day}-{number}",),
            )
        return queue_number(today, number)

    def retention_sweep(self, now: float, retention_days: float) -> dict[str, int]:
        """Forget what is no longer needed; how many of each thing went.

        A request made here is forgotten (its row, its letter, its outbox items' personal
        data) once it is final, printed here and the print reported, or once it is older
        than the retention. Work still queued for the backend is never dropped: such a
        request stays until its items are sent. Settled outbox items, dead letters'
        bodies and finished print jobs older than the retention go too.
        """
        cutoff = now - retention_days * DAY_S
        counts = dict.fromkeys(("requests", "letters", "outbox", "print_jobs", "kept_queued"), 0)
        forgotten: list[LocalRequest] = []
        for local in self.requests.all():
            done = local.is_final and self._printed_and_reported(local)
            if not (done or local.created_at < cutoff):
                continue
            if self._still_queued(local):
                counts["kept_queued"] += 1
                continue
            with self.db.transaction() as tx:
                self.requests.forget(local.local_id, tx=tx)
                counts["outbox"] += self.outbox.forget_local(local.local_id, tx=tx)
            forgotten.append(local)
        for local in forgotten:
            if local.request_id and self.letters.remove(local.request_id):
                counts["letters"] += 1
        with self.db.transaction() as tx:
            counts["outbox"] += self.outbox.forget_settled(cutoff, tx=tx)
            counts["outbox"] += self.outbox.redact_dead(cutoff, tx=tx)
            counts["print_jobs"] = self.journal.forget_before(cutoff, tx=tx)
        keep = {r.request_id for r in self.requests.all() if r.request_id}
        counts["letters"] += self.letters.sweep(keep)
        counts["requests"] = len(forgotten)
        if any(counts.values()):
            log.info("retention sweep: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
        return counts

    def _printed_and_reported(self, local: LocalRequest) -> bool:
        if local.request_id is None or self.journal.prints_of(local.request_id) == 0:
            return False
        return not self._pending_reports(local.request_id)

    def _pending_reports(self, request_id: str) -> int:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM outbox WHERE state = 'pending' AND kind = ? "
                "AND json_extract(body, '$.request_id') = ?",
                (OutboxKind.PRINTED.value, request_id),
            ).fetchone()
        return int(row[0])

    def _still_queued(self, local: LocalRequest) -> bool:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM outbox WHERE state = 'pending' AND local_id = ?",
                (local.local_id,),
            ).fetchone()
        return bool(row[0]) or bool(local.request_id and self._pending_reports(local.request_id))


__all__ = [
    "Cache",
    "DuplicateKey",
    "JobState",
    "JournalError",
    "KioskDB",
    "KioskStorage",
    "LetterFiles",
    "LocalRequest",
    "LocalRequests",
    "Outbox",
    "OutboxItem",
    "OutboxKind",
    "PrintJob",
    "PrintJournal",
    "SchemaTooNew",
    "StateLocked",
    "StorageClosed",
    "StorageError",
]
