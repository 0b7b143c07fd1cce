"""The sync worker: one background thread that empties the outbox and prefetches letters.

Everything the kiosk owes the backend is already on disk (kiosk.storage) before this
thread sees it; the worker only moves it: oldest item first, each with its own
idempotency key, so a resend after a lost answer or a crash is harmless. What the backend
answers decides each item's fate:

- an answer (2xx): the item is settled, and what it says is recorded (in one transaction);
- a refusal (4xx with a reason): the item becomes a dead letter that keeps the reason;
  it is never retried blindly (the same request would be refused the same way);
- no usable answer (unreachable, 5xx, garbage): the item stays, and is tried again after
  an exponential backoff with full jitter, so a village's kiosks do not all knock at once
  when the backend returns.

After `down_after_failures` failures in a row the link is declared down (LinkChanged), and
up again at the first answer. When the outbox is empty and the link is up, the worker
checks the requests made here that wait for a signature, and keeps each signed letter on
disk once its hash and PAdES signature are verified, so the citizen's print does not wait
for a download.

Logs name outbox ids, kiosk references and request ids, never a citizen's data.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from apm_api.models import (
    ErrorCode,
    Heartbeat,
    LetterRequest,
    MarkPrinted,
    Rating,
    RequestStatus,
    SubmitRequest,
)
from kiosk.backend.errors import BackendError, BackendRejected, BackendUnreachable
from kiosk.config import SyncSection
from kiosk.crashpoints import crashpoint
from kiosk.letter_check import check_letter
from kiosk.storage import KioskStorage, OutboxItem, OutboxKind
from kiosk.storage.journal import report_body_of
from kiosk.storage.requests import RequestIdConflict

if TYPE_CHECKING:  # the client imports `requests`: not at import time of this module
    from kiosk.backend.client import BackendClient

log = logging.getLogger(__name__)


# --- what the worker tells the runtime ------------------------------------------------------


@dataclass(frozen=True)
class SubmitSettled:
    """The backend has the request (first answer or replay); the outbox knows it."""

    item_id: int
    local_id: str | None
    request: LetterRequest


@dataclass(frozen=True)
class SubmitFailedForGood:
    """The backend refused a queued request; it stays as a dead letter with the reason."""

    item_id: int
    local_id: str | None
    code: str  # the ApiError code, e.g. "invalid_form", or "unsendable"
    reason: dict[str, Any]  # {"id": ..., "en": ...}


@dataclass(frozen=True)
class LinkChanged:
    up: bool


@dataclass(frozen=True)
class LetterReady:
    """A signed letter of a request made here is on disk, verified."""

    request_id: str
    local_id: str | None


@dataclass(frozen=True)
class ReportSettled:
    """The backend knows the letter was printed."""

    request_id: str


SyncEvent = SubmitSettled | SubmitFailedForGood | LinkChanged | LetterReady | ReportSettled

UNSENDABLE = "unsendable"
IN_FLIGHT = 2  # outbox items sent at once while the link is up
_UNSENDABLE_REASON = {
    "id": "Data permohonan di kios rusak dan tidak dapat dikirim.",
    "en": "The request's data at the kiosk is damaged and cannot be sent.",
}


class _Unsendable(Exception):
    """An outbox item whose body cannot be turned into a valid call (damaged, or old)."""


@dataclass(frozen=True)
class _Outcome:
    answer: BaseModel | None = None
    error: BackendError | _Unsendable | None = None


def backoff_delay(attempt: int, settings: SyncSection, rng: random.Random) -> float:
    """Seconds before try number `attempt + 1`: full jitter under a doubling ceiling.

    The ceiling starts at retry_min_s and doubles per attempt up to retry_max_s; the delay
    is drawn uniformly between retry_min_s and that ceiling.
    """
    low = min(settings.retry_min_s, settings.retry_max_s)
    ceiling = min(settings.retry_max_s, low * 2.0 ** min(max(attempt - 1, 0), 60))
    return rng.uniform(low, ceiling)


class SyncWorker:
    def __init__(
        self,
        storage: KioskStorage,
        client_factory: Callable[[], BackendClient],
        settings: SyncSection,
        trust_anchors: Callable[[], list[bytes]],
        on_event: Callable[[object], None],
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._storage = storage
        self._client_factory = client_factory
        self._settings = settings
        self._trust_anchors = trust_anchors
        self._on_event = on_event
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._client: BackendClient | None = None
        self._thread: threading.Thread | None = None
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._force = False  # wake(): try now, even if the head item waits out a backoff
        self._link_up = True
        self._failures = 0  # in a row
        self._next_probe = 0.0
        self._next_prefetch = 0.0  # due at once
        self._prefetch_queue: list[str] = []  # local ids left in the current round
        self._refused: set[str] = set()  # request ids whose status the backend refused
        self._alongside: ThreadPoolExecutor | None = None  # sends the item after the head

    # --- the runtime's handle -----------------------------------------------------------------

    @property
    def link_up(self) -> bool:
        return self._link_up

    def pending_count(self) -> int:
        return self._storage.outbox.counts()["pending"]

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the sync worker was already started")
        self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Something new is queued, or the link may be back: try now."""
        self._force = True
        self._wakeup.set()

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop after the call in flight (it ends by itself or by its timeout); True if stopped.

        Nothing is lost either way: what was not settled is still pending on disk.
        """
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._alongside is not None:
            self._alongside.shutdown(wait=False)
        return self._thread is None or not self._thread.is_alive()

    # --- the loop ---------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                wait = self.step()
            except Exception as exc:  # the worker must outlive any one bad step
                log.error("sync step failed: %s%s", type(exc).__name__, _where(exc))
                wait = self._settings.retry_min_s
            if wait > 0 and not self._stopping.is_set():
                self._wakeup.wait(wait)
            self._wakeup.clear()

    def step(self) -> float:
        """Do the next piece of work, if any; seconds until there may be more to do.

        Upload before download: the outbox first, in order; then, with the outbox empty,
        either a probe of a link that is down or one request of the prefetch round.
        """
        now = self._clock()
        force, self._force = self._force, False
        heads = self._storage.outbox.heads(IN_FLIGHT)
        if heads:
            head = heads[0]
            if force or head.next_attempt_at <= now:
                # While the link is up, the next due item goes out alongside the head: the
                # backend works on one while the kiosk prepares or records the other. Items
                # are independent (a print report exists only once its request is settled)
                # and their outcomes are recorded in order.
                more = [i for i in heads[1:] if self._link_up and i.next_attempt_at <= now]
                self._send_together([head, *more])
                return 0.0
            return head.next_attempt_at - now
        if not self._link_up:
            if force or now >= self._next_probe:
                self._probe()
                return 0.0
            return self._next_probe - now
        if self._prefetch_queue:
            self._prefetch(self._prefetch_queue.pop(0))
            return 0.0
        if force or now >= self._next_prefetch:
            self._next_prefetch = now + self._settings.prefetch_every_s
            self._prefetch_queue = [r.local_id for r in self._storage.requests.pending_server()]
            return 0.0
        return self._next_prefetch - now

    # --- sending ------------------------------------------------------------------------------------

    def _send(self, item: OutboxItem) -> None:
        self._conclude(item, self._attempt(item))

    def _send_together(self, items: list[OutboxItem]) -> None:
        if len(items) == 1:
            self._send(items[0])
            return
        if self._alongside is None:
            self._alongside = ThreadPoolExecutor(IN_FLIGHT - 1, thread_name_prefix="kiosk-sync")
        others = [self._alongside.submit(self._attempt, item) for item in items[1:]]
        outcomes = [self._attempt(items[0]), *(f.result() for f in others)]
        for item, outcome in zip(items, outcomes, strict=True):
            self._conclude(item, outcome)

    def _attempt(self, item: OutboxItem) -> _Outcome:
        """One call to the backend; its answer or what it raised (concluded in order)."""
        try:
            return _Outcome(answer=self._call(self._backend(), item))
        except (BackendError, _Unsendable) as error:
            return _Outcome(error=error)

    def _conclude(self, item: OutboxItem, outcome: _Outcome) -> None:
        try:
            if outcome.error is not None:
                raise outcome.error
            answer = outcome.answer
        except _Unsendable as problem:
            log.error("outbox item %d (%s) cannot be sent: %s", item.id, item.kind, problem)
            self._give_up(item, UNSENDABLE, dict(_UNSENDABLE_REASON), str(problem), None)
            return
        except BackendRejected as rejected:
            if _worth_retrying(rejected):
                self._retry(item, rejected)
                return
            self._answered()
            error = rejected.error
            reason = error.message.model_dump(exclude_none=True)
            text = f"HTTP {rejected.status} {error.code.value}: {error.message.id}"
            self._give_up(item, error.code.value, reason, text, error.model_dump(mode="json"))
            return
        except BackendError as error:
            self._retry(item, error)
            return
        self._answered()
        self._settle(item, answer)

    def _call(self, client: BackendClient, item: OutboxItem) -> BaseModel | None:
        """One item's backend call; the answer (None for a rating)."""
        if item.kind is OutboxKind.SUBMIT:
            request, token = _parse_submit(item.body)
            answer = self._submit(client, item, request, token)
            crashpoint("submit.sent")
            return answer
        if item.kind is OutboxKind.PRINTED:
            request_id, body = _parse(item, _printed_body)
            printed = client.mark_printed(request_id, body, item.key)
            crashpoint("report.sent")
            return printed
        if item.kind is OutboxKind.RATING:
            client.rate(_parse(item, Rating.model_validate))
            return None
        return client.heartbeat(_parse(item, Heartbeat.model_validate))

    def _submit(
        self, client: BackendClient, item: OutboxItem, request: SubmitRequest, token: str | None
    ) -> LetterRequest:
        """With the session when there is one; without it, naming the applicant, if it expired."""
        if token is None:
            return client.submit(None, request, item.key)
        try:
            # A session and an applicant together are refused: the session says who it is.
            return client.submit(token, request.model_copy(update={"applicant": None}), item.key)
        except BackendRejected as rejected:
            expired = rejected.status == 401 and rejected.error.code is ErrorCode.SESSION_EXPIRED
            if not (expired and request.applicant is not None):
                raise
        log.info("outbox item %d: session expired, sending it as an offline request", item.id)
        return client.submit(None, request, item.key)

    def _settle(self, item: OutboxItem, answer: BaseModel | None) -> None:
        storage = self._storage
        result = None if answer is None else answer.model_dump(mode="json")
        event: SyncEvent | None = None
        # Losing this record to a power cut is harmless: the item goes again with its key
        # and the backend replays its answer. So no fsync wait here (the next durable
        # commit writes it anyway), except for a rating, which the API cannot deduplicate.
        durable = item.kind is OutboxKind.RATING
        with storage.db.transaction(durable=durable) as tx:
            storage.outbox.settle(item.id, result, tx=tx)
            if isinstance(answer, LetterRequest) and item.kind is OutboxKind.SUBMIT:
                if item.local_id is not None:
                    self._apply(item, item.local_id, answer, tx)
                event = SubmitSettled(item.id, item.local_id, answer)
            elif isinstance(answer, LetterRequest) and item.kind is OutboxKind.PRINTED:
                local = storage.requests.by_request_id(answer.id)
                if local is not None:
                    self._apply(item, local.local_id, answer, tx)
                event = ReportSettled(answer.id)
        if item.kind is OutboxKind.SUBMIT:
            crashpoint("submit.settled")
            self._next_prefetch = self._clock()  # the letter may be signed already
        log.debug("outbox item %d (%s) settled", item.id, item.kind)
        if event is not None:
            self._post(event)

    def _apply(
        self, item: OutboxItem, local_id: str, answer: LetterRequest, tx: sqlite3.Connection
    ) -> None:
        """Record the answer on the request made here; a contradicting backend is only logged.

        The item is settled either way: the backend has it, and holding the whole outbox
        behind an answer that will never change would help nobody.
        """
        try:
            self._storage.requests.apply_answer(local_id, answer, tx=tx)
        except RequestIdConflict as conflict:
            log.error("outbox item %d: %s", item.id, conflict)

    def _give_up(
        self,
        item: OutboxItem,
        code: str,
        reason: dict[str, Any],
        text: str,
        result: dict[str, Any] | None,
    ) -> None:
        storage = self._storage
        with storage.db.transaction() as tx:
            storage.outbox.dead(item.id, text, result=result, tx=tx)
            if item.kind is OutboxKind.SUBMIT and item.local_id is not None:
                storage.requests.mark_failed(item.local_id, str(reason.get("id", text)), tx=tx)
        log.warning(
            "outbox item %d (%s, %s) refused for good: %s; kept as a dead letter",
            item.id,
            item.kind,
            item.local_id or "-",
            code,
        )
        if item.kind is OutboxKind.SUBMIT:
            self._post(SubmitFailedForGood(item.id, item.local_id, code, reason))

    def _retry(self, item: OutboxItem, error: BackendError) -> None:
        delay = backoff_delay(item.attempts + 1, self._settings, self._rng)
        if isinstance(error, BackendRejected) and error.error.retry_after_s:
            delay = max(delay, float(error.error.retry_after_s))
        self._storage.outbox.retry_later(
            item.id, f"{error.kind}: {error.detail}", self._clock() + delay
        )
        log.info(
            "outbox item %d (%s) not sent (%s); try %d again in %.1f s",
            item.id,
            item.kind,
            error.kind,
            item.attempts + 2,
            delay,
        )
        self._link_failed()

    # --- link state -------------------------------------------------------------------------------

    def _answered(self) -> None:
        self._failures = 0
        if not self._link_up:
            self._link_up = True
            log.info("backend link is up")
            self._next_prefetch = self._clock()
            self._post(LinkChanged(True))

    def _link_failed(self) -> None:
        self._failures += 1
        self._next_probe = self._clock() + backoff_delay(self._failures, self._settings, self._rng)
        if self._link_up and self._failures >= self._settings.down_after_failures:
            self._link_up = False
            log.warning("backend link is down after %d failures in a row", self._failures)
            self._post(LinkChanged(False))

    def _probe(self) -> None:
        """Is the backend back? (Only while the link is down and nothing is queued.)"""
        try:
            self._backend().kiosk_config()
        except BackendRejected as rejected:
            if _worth_retrying(rejected):
                self._link_failed()
            else:
                self._answered()
        except BackendError:
            self._link_failed()
        else:
            self._answered()

    # --- prefetch ---------------------------------------------------------------------------------

    def _prefetch(self, local_id: str) -> None:
        storage = self._storage
        local = storage.requests.get(local_id)
        if local is None or local.request_id is None or local.is_final or local.letter_on_disk:
            return
        request_id = local.request_id
        try:
            client = self._backend()
            answer = client.request_status(request_id)
            storage.requests.apply_answer(local_id, answer)
            if answer.status is not RequestStatus.READY or answer.document is None:
                self._answered()
                return
            sha256 = answer.document.sha256
            pdf = client.download_document(request_id, sha256)
        except BackendRejected as rejected:
            self._answered()
            # Said once per request and run: it is asked again every round.
            level = logging.DEBUG if request_id in self._refused else logging.WARNING
            self._refused.add(request_id)
            log.log(level, "prefetch of request %s refused: %s", request_id, rejected.detail)
            return
        except BackendError as error:
            log.info("prefetch of request %s stopped: %s", request_id, error.detail)
            self._prefetch_queue.clear()  # the next round tries again
            self._link_failed()
            return
        self._answered()
        check = check_letter(pdf, sha256, self._anchors())
        if not check.ok:
            log.warning(
                "prefetched letter of request %s failed its check (%s); not kept, tried again later",
                request_id,
                check.problem.value if check.problem else "not trusted",
            )
            return
        storage.letters.put(request_id, pdf)
        storage.requests.set_letter(local_id, sha256, True)
        log.info("letter of request %s prefetched and verified", request_id)
        self._post(LetterReady(request_id, local_id))

    def _anchors(self) -> list[bytes]:
        try:
            return list(self._trust_anchors())
        except Exception as exc:  # unreadable anchors: the check fails with NO_TRUST_ANCHORS
            log.error("trust anchors unavailable: %s", type(exc).__name__)
            return []

    # --- plumbing ---------------------------------------------------------------------------------

    def _backend(self) -> BackendClient:
        """The client, made on this thread at first use (the factory's owner closes it)."""
        if self._client is None:
            try:
                self._client = self._client_factory()
            except Exception as exc:
                raise BackendUnreachable(f"no backend client: {type(exc).__name__}") from None
        return self._client

    def _post(self, event: SyncEvent) -> None:
        try:
            self._on_event(event)
        except Exception as exc:
            log.error("posting %s failed: %s", type(event).__name__, type(exc).__name__)


def _worth_retrying(rejected: BackendRejected) -> bool:
    """4xx that say "not now" or "not this kiosk's fault", rather than "never this item".

    A refused device token (the kiosk's configuration, being fixed) and throttling are
    retried with backoff; every other refusal is about the item itself.
    """
    code = rejected.error.code
    return (
        code is ErrorCode.UNAUTHORIZED
        or rejected.status in (408, 429)
        or (code is ErrorCode.LOCKED and rejected.error.retry_after_s is not None)
    )


def _parse_submit(body: dict[str, Any]) -> tuple[SubmitRequest, str | None]:
    try:
        request = SubmitRequest.model_validate(body["request"])
        token = body.get("session_token")
    except (KeyError, TypeError, ValidationError) as exc:
        raise _Unsendable(f"submit body: {_problem(exc)}") from None
    if token is not None and not isinstance(token, str):
        raise _Unsendable("submit body: session_token is not a string")
    return request, token


def _printed_body(body: dict[str, Any]) -> tuple[str, MarkPrinted]:
    request_id, report = report_body_of(body)
    return request_id, MarkPrinted.model_validate(report)


def _parse(item: OutboxItem, parse: Callable[[dict[str, Any]], Any]) -> Any:
    try:
        return parse(item.body)
    except (KeyError, TypeError, ValueError) as exc:  # ValidationError is a ValueError
        raise _Unsendable(f"{item.kind} body: {_problem(exc)}") from None


def _problem(exc: Exception) -> str:
    """What is wrong, without quoting the data (a validation message may hold a NIK)."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        return f"{exc.error_count()} problems, first {where}: {first['type']}"
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}" if exc.args else "missing field"
    return type(exc).__name__


def _where(exc: BaseException) -> str:
    """' at file:line' of the innermost frame (no message: it could quote data)."""
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
