"""The print journal: each letter reaches paper once, and the backend hears about it once.

Every print is a job whose state is written down before each step that cannot be undone:
the letter checked (VERIFIED), the job handed to the printer (PRINTING), the paper out
(PRINTED). "Printed" and "tell the backend it was printed" are one transaction, so a
crash can never leave a printed letter the backend is not told about. At start-up,
`unfinished()` lists the jobs a crash interrupted, for the print service to resolve.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kiosk.storage.db import KioskDB
from kiosk.storage.outbox import Outbox, OutboxItem, OutboxKind


class JobState(StrEnum):
    STARTED = "started"  # the job exists; nothing checked yet
    VERIFIED = "verified"  # the letter passed its checks; nothing sent to the printer
    PRINTING = "printing"  # the printer has (or may have) the job
    PRINTED = "printed"  # on paper, and the report to the backend is queued
    FAILED = "failed"  # nothing reached paper (checks failed, printer error before output)
    INTERRUPTED = "interrupted"  # the kiosk stopped mid-job; the printer says it did not finish
    UNCERTAIN = "uncertain"  # the kiosk stopped mid-job; nobody can say whether it printed


UNFINISHED = (JobState.STARTED, JobState.VERIFIED, JobState.PRINTING)


class JournalError(ValueError):
    """A state change the journal refuses (it would break exactly-once printing)."""


@dataclass(frozen=True)
class PrintJob:
    job_id: str
    request_id: str
    local_id: str | None
    sha256: str
    state: JobState
    reprint: bool
    device_job: str | None
    error: str | None
    created_at: float
    updated_at: float


_COLUMNS = (
    "job_id, request_id, local_id, sha256, state, reprint, device_job, error, created_at, "
    "updated_at"
)


def report_key(job_id: str) -> str:
    """The printed report's idempotency key: one report per job, whoever queues it."""
    return f"printed-{job_id}"


class PrintJournal:
    def __init__(self, db: KioskDB, outbox: Outbox, *, clock: Any = time.time) -> None:
        self._db = db
        self._outbox = outbox
        self._clock = clock

    def begin(
        self,
        request_id: str,
        sha256: str,
        *,
        local_id: str | None = None,
        reprint: bool = False,
    ) -> PrintJob:
        """A new job in state STARTED (durable when this returns)."""
        job_id = uuid.uuid4().hex
        now = self._clock()
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT INTO print_jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
                (
                    job_id,
                    request_id,
                    local_id,
                    sha256,
                    JobState.STARTED.value,
                    int(reprint),
                    now,
                    now,
                ),
            )
            return self._require(conn, job_id)

    def mark(
        self,
        job_id: str,
        state: JobState,
        *,
        error: str | None = None,
        device_job: str | None = None,
    ) -> PrintJob:
        """Move a job to `state` (durable when this returns); PRINTED goes via mark_printed.

        `device_job` and `error`, when given, are recorded (a None keeps what was there).
        A printed job never changes again: it is the proof the letter was printed.
        """
        state = JobState(state)
        if state is JobState.PRINTED:
            raise JournalError("a job becomes PRINTED only through mark_printed (with its report)")
        with self._db.transaction() as conn:
            job = self._require(conn, job_id)
            if job.state is JobState.PRINTED:
                raise JournalError(f"print job {job_id} is printed; it cannot become {state}")
            conn.execute(
                "UPDATE print_jobs SET state = ?, error = coalesce(?, error), "
                "device_job = coalesce(?, device_job), updated_at = ? WHERE job_id = ?",
                (state.value, error, device_job, self._clock(), job_id),
            )
            return self._require(conn, job_id)

    def mark_printed(self, job_id: str, report_body: dict[str, Any]) -> OutboxItem:
        """One transaction: the job is PRINTED and its report is queued in the outbox.

        `report_body` is the MarkPrinted JSON; "request_id" is added. Calling it again for
        the same job returns the report queued the first time.
        """
        with self._db.transaction() as conn:
            job = self._require(conn, job_id)
            body = {**report_body, "request_id": job.request_id}
            if job.state is not JobState.PRINTED:
                conn.execute(
                    "UPDATE print_jobs SET state = ?, updated_at = ? WHERE job_id = ?",
                    (JobState.PRINTED.value, self._clock(), job_id),
                )
            existing = conn.execute(
                "SELECT id FROM outbox WHERE key = ?", (report_key(job_id),)
            ).fetchone()
            if existing is not None:
                # Queued before (and maybe sent since): the one report of this job.
                item = self._outbox.get(existing[0])
                assert item is not None
                return item
            return self._outbox.add(
                OutboxKind.PRINTED, body, key=report_key(job_id), local_id=job.local_id, tx=conn
            )

    def prints_of(self, request_id: str) -> int:
        """How many times this letter was printed here (completed prints, reprints included)."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM print_jobs WHERE request_id = ? AND state = ?",
                (request_id, JobState.PRINTED.value),
            ).fetchone()
        return int(row[0])

    def unfinished(self) -> list[PrintJob]:
        """Jobs a stop interrupted (STARTED, VERIFIED, PRINTING), oldest first."""
        marks = ", ".join("?" * len(UNFINISHED))
        return self._jobs(f"state IN ({marks})", *(s.value for s in UNFINISHED))

    def get(self, job_id: str) -> PrintJob | None:
        with self._db.read() as conn:
            return self._job(conn, job_id)

    def history(self, request_id: str) -> list[PrintJob]:
        return self._jobs("request_id = ?", request_id)

    def forget_before(self, before: float, *, tx: sqlite3.Connection | None = None) -> int:
        """Drop finished jobs last changed before `before` (unfinished ones stay)."""
        marks = ", ".join("?" * len(UNFINISHED))
        with self._db.transaction(tx) as conn:
            cursor = conn.execute(
                f"DELETE FROM print_jobs WHERE updated_at < ? AND state NOT IN ({marks})",
                (before, *(s.value for s in UNFINISHED)),
            )
        return cursor.rowcount

    def _jobs(self, where: str, *args: Any) -> list[PrintJob]:
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM print_jobs WHERE {where} ORDER BY created_at, rowid",
                args,
            ).fetchall()
        return [_job(r) for r in rows]

    def _job(self, conn: sqlite3.Connection, job_id: str) -> PrintJob | None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM print_jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        return _job(row) if row else None

    def _require(self, conn: sqlite3.Connection, job_id: str) -> PrintJob:
        job = self._job(conn, job_id)
        if job is None:
            raise JournalError(f"no print job {job_id}")
        return job


def _job(row: tuple[Any, ...]) -> PrintJob:
    job_id, request_id, local_id, sha, state, reprint, device_job, error, created, updated = row
    return PrintJob(
        job_id=job_id,
        request_id=request_id,
        local_id=local_id,
        sha256=sha,
        state=JobState(state),
        reprint=bool(reprint),
        device_job=device_job,
        error=error,
        created_at=created,
        updated_at=updated,
    )


def report_body_of(item_body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Split a PRINTED outbox body into (request_id, MarkPrinted JSON)."""
    body = dict(item_body)
    request_id = body.pop("request_id")
    return str(request_id), body
