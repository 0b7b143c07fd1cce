"""The citizen flow: a plain-Python state machine, no Qt, no I/O.

attract -> identify -> services -> form -> confirm -> submitting -> waiting
        -> printing -> done -> attract, with notices for what goes wrong and an idle
timeout back to attract from any screen where the kiosk is waiting for the citizen.

`Flow.handle(event)` updates `Flow.state` and returns the effects to carry out.  It is
called on one thread only (the GUI thread in the kiosk, the test thread in tests).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from apm_api.form_text import normalise_text
from apm_api.models import (
    ApplicantByCard,
    ApplicantByNik,
    ErrorCode,
    IdentifyByCard,
    IdentifyByNikPin,
    IdentifyBySam,
    LetterRequest,
    RequestStatus,
    SubmitRequest,
    Text,
)
from apm_api.nik import check_nik, normalize_nik
from kiosk import pickup
from kiosk.flow import events as ev
from kiosk.flow import texts
from kiosk.flow.effects import (
    CheckStatus,
    Effect,
    EndSession,
    FindMyRequests,
    Identify,
    LoadKiosk,
    LoadMyRequests,
    PrintLetter,
    PrintReceipt,
    ReceiptContent,
    ReceiptLine,
    Schedule,
    SendRating,
    Submit,
)
from kiosk.flow.state import (
    MACHINE_BUSY_SCREENS,
    Deadlines,
    DeviceHealth,
    FlowState,
    NikLock,
    Notice,
    PrintStep,
    Retry,
    Screen,
    UnknownCard,
)
from kiosk.localtime import format_local, village_zone

log = logging.getLogger(__name__)

RELOAD_AFTER_FAILURE_S = 10.0
RELOAD_AFTER_SUCCESS_S = 600.0  # pick up catalogue changes without a restart
IDLE_WARNING_S = 15.0  # the "are you still there?" countdown, before the idle timeout
DONE_TIMEOUT_S = 20.0  # the done screen needs no answer; do not keep it for the full idle time
AFTER_RATING_S = 3.0  # long enough to read "terima kasih"
PICKUP_TRIES = 5  # wrong pickup codes in one session before the keypad is closed
# An unknown card, then another unknown UID within this time (or in the same session):
# the card shows a random UID at every power-up and can never be recognised by tapping.
RANDOM_UID_WINDOW_S = 60.0
DEFAULT_LOCK_S = 60  # a LOCKED answer without retry_after_s
ANY_NIK = "*"  # a NikLock on every NIK: the backend held this kiosk's PIN checks back

Step = tuple[FlowState, list[Effect]]


class Flow:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        new_key: Callable[[], str] = lambda: uuid.uuid4().hex,
        deadlines: Deadlines | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(village_zone()),
        secret: bytes | None = None,
    ) -> None:
        self._clock = clock
        # Keys the hashes by which the flow recognises a locked NIK or a card seen before,
        # so that what it keeps cannot be turned back into a NIK or a UID.
        self._secret = secret or secrets.token_bytes(32)
        self._now = now  # the village's wall clock, for what citizens read
        self._new_key = new_key
        self._deadlines = deadlines or Deadlines()
        self.state = FlowState(last_activity=clock())
        self._handlers: dict[type, Callable[[FlowState, Any], Step]] = {
            ev.Start: self._on_start,
            ev.SubmitNikPin: self._on_submit_nik_pin,
            ev.ChooseService: self._on_choose_service,
            ev.PrintReady: self._on_print_ready,
            ev.SetField: self._on_set_field,
            ev.Next: self._on_next,
            ev.Back: self._on_back,
            ev.Confirm: self._on_confirm,
            ev.FinishLater: self._on_finish_later,
            ev.Rate: self._on_rate,
            ev.Finish: self._on_finish,
            ev.Home: self._on_home,
            ev.AnswerNotice: self._on_answer_notice,
            ev.OpenPickup: self._on_open_pickup,
            ev.SubmitPickupCode: self._on_submit_pickup_code,
            ev.StillHere: lambda s, e: (s, []),
            ev.SetDisplay: self._on_set_display,
            ev.KioskLoaded: self._on_kiosk_loaded,
            ev.KioskLoadFailed: self._on_kiosk_load_failed,
            ev.RetryLoad: lambda s, e: (s, [LoadKiosk()]),
            ev.Identified: self._on_identified,
            ev.IdentifyFailed: self._on_identify_failed,
            ev.MyRequestsLoaded: self._on_my_requests,
            ev.SubmitQueued: self._on_submit_queued,
            ev.Submitted: self._on_submitted,
            ev.SubmitFailed: self._on_submit_failed,
            ev.Deadline: self._on_deadline,
            ev.MyRequestsFound: self._on_my_requests_found,
            ev.LinkChanged: self._on_link_changed,
            ev.PollDue: self._on_poll_due,
            ev.StatusChecked: self._on_status_checked,
            ev.StatusCheckFailed: self._on_status_check_failed,
            ev.PrintProgress: self._on_print_progress,
            ev.DocumentFetchFailed: self._on_document_fetch_failed,
            ev.DocumentPrinted: self._on_document_printed,
            ev.ReceiptPrinted: lambda s, e: (
                replace(s, receipt_problem=None, receipt_pending=False),
                [],
            ),
            ev.PrintFailed: self._on_print_failed,
            ev.CardPresented: self._on_card_presented,
            ev.IdentityRead: self._on_identity_read,
            ev.PickupCodeScanned: self._on_pickup_code_scanned,
            ev.CardReadFailed: self._on_card_read_failed,
            ev.DeviceStatusChanged: self._on_device_status,
            ev.Tick: self._on_tick,
        }

    def start(self) -> list[Effect]:
        """The effects to run once when the kiosk starts."""
        return [LoadKiosk()]

    def handle(self, event: ev.Event) -> list[Effect]:
        state = self.state
        if _is_stale(state, event):
            log.debug("dropping stale %s", type(event).__name__)
            return []
        if _is_citizen_action(event):
            state = replace(state, last_activity=self._clock())
        if _closed_to_citizens(state, event):
            return []  # the attract screen says why, and where to go instead
        handler = self._handlers[type(event)]
        self.state, effects = handler(state, event)
        return effects

    # --- attract and identification ----------------------------------------------------

    def _on_start(self, s: FlowState, e: ev.Start) -> Step:
        if s.screen is not Screen.ATTRACT:
            return s, []
        if not s.ready:
            return _notice(s, texts.NOT_READY_TITLE, texts.NOT_READY_MESSAGE), []
        return _identify_says(s, None), []

    def _on_card_presented(self, s: FlowState, e: ev.CardPresented) -> Step:
        if s.screen not in (Screen.ATTRACT, Screen.IDENTIFY, Screen.PICKUP):
            return s, []  # already identified: a second tap means nothing
        if not s.ready:
            return _notice(s, texts.NOT_READY_TITLE, texts.NOT_READY_MESSAGE), []
        if e.uid_is_random:
            return _identify_says(s, texts.RANDOM_UID), []
        try:
            request = IdentifyByCard(card_uid=e.uid)
        except ValidationError:
            return _identify_says(s, texts.CARD_UNREADABLE), []
        return self._identify(s, request, ApplicantByCard(card_uid=e.uid))

    def _on_identity_read(self, s: FlowState, e: ev.IdentityRead) -> Step:
        """A SAM reader read the NIK from the chip: identify by it, no UID lookup."""
        if s.screen not in (Screen.ATTRACT, Screen.IDENTIFY, Screen.PICKUP):
            return s, []
        if not s.ready:
            return _notice(s, texts.NOT_READY_TITLE, texts.NOT_READY_MESSAGE), []
        if e.fingerprint == "not-matched":
            return _identify_says(s, texts.FINGERPRINT_MISMATCH), []
        try:
            request = IdentifyBySam(nik=e.nik, fingerprint=e.fingerprint, reader=e.reader)
        except ValidationError:
            return _identify_says(s, texts.CARD_UNREADABLE), []
        return self._identify(s, request, ApplicantByNik(nik=e.nik))

    def _identify(
        self,
        s: FlowState,
        request: IdentifyByCard | IdentifyByNikPin | IdentifyBySam,
        applicant: ApplicantByCard | ApplicantByNik,
    ) -> Step:
        s = replace(_identify_says(s, None), applicant=applicant)
        s, deadline = self._busy(s, Screen.IDENTIFYING, self._deadlines.identify_s)
        return s, [
            Identify(s.session_no, request),
            FindMyRequests(s.session_no, applicant=applicant),
            deadline,
        ]

    def _busy(self, s: FlowState, screen: Screen, seconds: float) -> tuple[FlowState, Schedule]:
        """Enter a screen where the machine works, with a deadline for it."""
        s = replace(s, screen=screen, attempt=s.attempt + 1, notice=None)
        return s, Schedule(seconds, ev.Deadline(s.session_no, screen.value, s.attempt))

    def _on_card_read_failed(self, s: FlowState, e: ev.CardReadFailed) -> Step:
        if s.screen not in (Screen.ATTRACT, Screen.IDENTIFY):
            return s, []
        message = (
            texts.CARD_REMOVED
            if e.problem is ev.CardProblem.REMOVED_MID_READ
            else texts.CARD_UNREADABLE
        )
        return _identify_says(s, message), []

    def _on_submit_nik_pin(self, s: FlowState, e: ev.SubmitNikPin) -> Step:
        """Checked here first: a mistyped NIK, or one the backend locked a moment ago, is
        answered at once without a backend call. The PIN goes into the Identify effect
        only; nothing of it stays in the state."""
        if s.screen is not Screen.IDENTIFY:
            return s, []
        nik = normalize_nik(e.nik)
        problem = check_nik(nik, today=self._now().date())
        if problem is not None:
            return _identify_says(s, texts.nik_problem(problem)), []
        lock = self._lock_on(s, nik)
        if lock is not None:
            return self._show_lock(s, lock), []
        pin = e.pin.strip()
        if not (len(pin) == 6 and pin.isascii() and pin.isdigit()):
            return _identify_says(s, texts.PIN_INVALID), []
        return self._identify(s, IdentifyByNikPin(nik=nik, pin=pin), ApplicantByNik(nik=nik))

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def _lock_on(self, s: FlowState, nik: str) -> NikLock | None:
        """A lock on this NIK, or on every PIN check here (the backend held them back)."""
        digest, now = self._digest("nik", nik), self._clock()
        mine = (digest, ANY_NIK)
        return next((x for x in s.nik_locks if x.nik_digest in mine and x.until > now), None)

    def _show_lock(self, s: FlowState, lock: NikLock) -> FlowState:
        """The identify screen says the NIK is locked, and counts down (see _on_tick)."""
        left = _seconds_until(lock.until, self._clock())
        held = lock.nik_digest == ANY_NIK
        s = _identify_says(s, texts.locked(left, texts.PINS_HELD if held else texts.LOCKED))
        return replace(s, lock_until=lock.until, lock_left_s=left, pins_held=held)

    def _count_down(self, s: FlowState) -> FlowState:
        assert s.lock_until is not None
        left = _seconds_until(s.lock_until, self._clock())
        if left <= 0:
            return _identify_says(s, texts.LOCK_OVER)
        if left == s.lock_left_s:
            return s
        template = texts.PINS_HELD if s.pins_held else texts.LOCKED
        return replace(s, identify_error=texts.locked(left, template), lock_left_s=left)

    def _on_identified(self, s: FlowState, e: ev.Identified) -> Step:
        if s.screen is not Screen.IDENTIFYING:
            return s, []
        session = e.session
        s = replace(
            s,
            screen=Screen.SERVICES,
            resident=session.resident,
            session_token=session.session_token,
            backend_unreachable=False,
            unknown_card=None,  # whoever tapped it is in now
        )
        return s, [LoadMyRequests(s.session_no, session.session_token)]

    def _on_identify_failed(self, s: FlowState, e: ev.IdentifyFailed) -> Step:
        if s.screen is not Screen.IDENTIFYING:
            return s, []
        f = e.failure
        if f.kind is ev.FailureKind.REJECTED:
            return self._identify_refused(s, f), []
        # No answer we can use: go on offline; the back office checks the identity later.
        unreachable = f.kind is ev.FailureKind.UNREACHABLE
        return self._go_offline(
            replace(s, backend_unreachable=unreachable or s.backend_unreachable)
        )

    def _identify_refused(self, s: FlowState, f: ev.Failure) -> FlowState:
        applicant = s.applicant
        s = replace(s, applicant=None, my_requests=())
        if f.code is ErrorCode.LOCKED:
            return self._locked(s, applicant, f.retry_after_s)
        if f.code is ErrorCode.TOO_MANY_ATTEMPTS:  # spraying seen: every NIK waits, cards not
            return self._locked(s, None, f.retry_after_s, every_nik=True)
        if f.code is ErrorCode.UNKNOWN_CARD and isinstance(applicant, ApplicantByCard):
            return self._unknown_card(s, applicant.card_uid)
        message = {
            ErrorCode.UNKNOWN_CARD: texts.UNKNOWN_CARD,
            ErrorCode.WRONG_PIN: texts.WRONG_PIN,
            ErrorCode.FINGERPRINT_MISMATCH: texts.FINGERPRINT_MISMATCH,
            ErrorCode.UNKNOWN_RESIDENT: texts.NOT_A_RESIDENT,
        }.get(f.code or ErrorCode.INTERNAL, f.message or texts.UNEXPECTED)
        return _identify_says(s, message)

    def _locked(
        self,
        s: FlowState,
        applicant: ApplicantByCard | ApplicantByNik | None,
        retry_after_s: int | None,
        *,
        every_nik: bool = False,
    ) -> FlowState:
        """The backend locked the NIK: refuse it here too until then (other NIKs still go).
        With `every_nik`, it held back all PIN checks from this kiosk: refuse every NIK."""
        until = self._clock() + max(1, retry_after_s or DEFAULT_LOCK_S)
        if every_nik:
            digest = ANY_NIK
        elif isinstance(applicant, ApplicantByNik):
            digest = self._digest("nik", applicant.nik)
        else:  # not a NIK the kiosk can refuse later: only said
            return self._show_lock(s, NikLock("", until))
        others = tuple(x for x in s.nik_locks if x.nik_digest != digest)
        lock = NikLock(digest, until)
        return self._show_lock(replace(s, nik_locks=(*others, lock)), lock)

    def _unknown_card(self, s: FlowState, uid: str) -> FlowState:
        """Unknown to the backend. A different unknown UID right after the last one is a
        card with a random UID: tapping it again will never work, NIK + PIN will."""
        now, digest = self._clock(), self._digest("card", uid)
        before = s.unknown_card
        changing = (
            before is not None
            and before.uid_digest != digest
            and (before.session_no == s.session_no or now - before.seen_at <= RANDOM_UID_WINDOW_S)
        )
        s = replace(s, unknown_card=UnknownCard(digest, now, s.session_no))
        if changing:
            log.info("an unknown card again, with another UID: taken for a random-UID card")
            return _identify_says(s, texts.RANDOM_UID_SEEN)
        return _identify_says(s, texts.UNKNOWN_CARD)

    def _go_offline(self, s: FlowState) -> Step:
        if not s.ready:
            return _notice(s, texts.NOT_READY_TITLE, texts.NOT_READY_OFFLINE), []
        return replace(s, screen=Screen.SERVICES, resident=None, session_token=None), []

    def _on_my_requests_found(self, s: FlowState, e: ev.MyRequestsFound) -> Step:
        if not e.by_code:
            return replace(s, my_requests=e.requests), []
        if s.screen is not Screen.PICKUP:
            return s, []
        if not e.requests:
            return self._wrong_pickup_code(s, texts.PICKUP_CODE_UNKNOWN)
        return replace(s, screen=Screen.REQUESTS, my_requests=e.requests, pickup_error=None), []

    def _on_open_pickup(self, s: FlowState, e: ev.OpenPickup) -> Step:
        if s.screen not in (Screen.ATTRACT, Screen.IDENTIFY):
            return s, []
        return replace(_identify_says(s, None), screen=Screen.PICKUP, pickup_error=None), []

    def _on_submit_pickup_code(self, s: FlowState, e: ev.SubmitPickupCode) -> Step:
        if s.screen is not Screen.PICKUP:
            return s, []
        code = pickup.parse_pickup_code(e.text)
        if code is None:
            return self._wrong_pickup_code(s, texts.PICKUP_CODE_INVALID)
        return replace(s, pickup_error=None), [FindMyRequests(s.session_no, pickup_code=code)]

    def _on_pickup_code_scanned(self, s: FlowState, e: ev.PickupCodeScanned) -> Step:
        if s.screen in (Screen.ATTRACT, Screen.IDENTIFY):
            s = replace(_identify_says(s, None), screen=Screen.PICKUP, pickup_error=None)
        return self._on_submit_pickup_code(s, ev.SubmitPickupCode(e.text))

    def _wrong_pickup_code(self, s: FlowState, message: Text) -> Step:
        s = replace(s, pickup_tries=s.pickup_tries + 1, pickup_error=message)
        if s.pickup_tries >= PICKUP_TRIES:
            return _notice(s, texts.PICKUP_TITLE, texts.PICKUP_LOCKED), []
        return s, []

    def _on_my_requests(self, s: FlowState, e: ev.MyRequestsLoaded) -> Step:
        ready = tuple(
            r for r in e.requests if r.status is RequestStatus.READY and r.document is not None
        )
        return replace(s, ready_requests=ready), []

    # --- choosing and filling in ---------------------------------------------------------

    def _on_choose_service(self, s: FlowState, e: ev.ChooseService) -> Step:
        if s.screen is not Screen.SERVICES:
            return s, []
        service = next((x for x in s.services if x.code == e.code), None)
        if service is None:
            return s, []
        prefill = s.resident.prefill if s.resident else {}
        values = {f.name: prefill.get(f.prefill, "") if f.prefill else "" for f in service.fields}
        return (
            replace(
                s,
                screen=Screen.FORM,
                service=service,
                values=values,
                field_errors={},
                submit_key=None,
                request=None,
            ),
            [],
        )

    def _on_set_field(self, s: FlowState, e: ev.SetField) -> Step:
        if s.screen is not Screen.FORM or e.name not in s.values:
            return s, []
        errors = {k: v for k, v in s.field_errors.items() if k != e.name}
        return replace(s, values={**s.values, e.name: e.value}, field_errors=errors), []

    def _on_next(self, s: FlowState, e: ev.Next) -> Step:
        if s.screen is not Screen.FORM or s.service is None:
            return s, []
        errors = {}
        for form_field in s.service.fields:
            problem = form_field.problem(s.values.get(form_field.name, ""))
            if problem:
                errors[form_field.name] = problem
        if errors:
            return replace(s, field_errors=errors), []
        # A new draft gets a new idempotency key; an unchanged one keeps it, so sending
        # it again after a lost answer cannot create a second request.
        key = s.submit_key if s.submit_key and s.request is None else self._new_key()
        # The confirm screen shows what will be signed: curly quotes straightened, spaces
        # collapsed (apm_api.form_text), not what the keyboard produced.
        values = {name: normalise_text(value) for name, value in s.values.items()}
        return replace(s, screen=Screen.CONFIRM, field_errors={}, submit_key=key, values=values), []

    def _on_back(self, s: FlowState, e: ev.Back) -> Step:
        if s.screen is Screen.CONFIRM:
            return replace(s, screen=Screen.FORM), []
        if s.screen is Screen.FORM:
            return replace(s, screen=Screen.SERVICES, service=None, field_errors={}), []
        if s.screen in (Screen.IDENTIFY, Screen.SERVICES):
            return self._end_session(s)
        return s, []

    # --- submitting and waiting for the signature ----------------------------------------

    def _on_confirm(self, s: FlowState, e: ev.Confirm) -> Step:
        if s.screen is not Screen.CONFIRM:
            return s, []
        return self._submit(s)

    def _submit(self, s: FlowState) -> Step:
        assert s.service is not None and s.applicant is not None and s.submit_key
        body = SubmitRequest(
            service_code=s.service.code, fields=_trimmed(s.values), applicant=s.applicant
        )
        effect = Submit(s.session_no, s.session_token, body, s.submit_key)
        s, deadline = self._busy(s, Screen.SUBMITTING, self._deadlines.submit_s)
        return s, [effect, deadline]

    def _on_submit_queued(self, s: FlowState, e: ev.SubmitQueued) -> Step:
        if s.screen is not Screen.SUBMITTING:
            return s, []
        s = replace(
            s,
            kiosk_reference=e.kiosk_reference,
            pickup_code=e.pickup_code,
            queue_number=e.queue_number or None,
        )
        if s.backend_unreachable:  # no point in waiting: it is safe, and goes when it can
            return self._queued_outcome(s)
        return s, []

    def _queued_outcome(self, s: FlowState) -> Step:
        """Saved in the outbox, not yet answered: a receipt now, the letter later."""
        s = _receipt_asked(replace(s, screen=Screen.DONE, queued=True))
        return s, [PrintReceipt(s.session_no, receipt_for(s, None, self._now()))]

    def _on_submitted(self, s: FlowState, e: ev.Submitted) -> Step:
        if s.screen is Screen.DONE and s.queued and s.request is None:
            return replace(s, request=e.request), []  # arrived after the receipt: keep quiet
        if s.screen is not Screen.SUBMITTING:
            return s, []
        request = e.request
        s = _receipt_asked(replace(s, request=request, screen=Screen.WAITING))
        receipt = PrintReceipt(s.session_no, receipt_for(s, request, self._now()))
        next_state, effects = self._after_status(s, request)
        return next_state, [receipt, *effects]

    def _on_submit_failed(self, s: FlowState, e: ev.SubmitFailed) -> Step:
        if s.screen is not Screen.SUBMITTING:
            return s, []
        f = e.failure
        if f.kind is ev.FailureKind.REJECTED:
            # A dead letter: that key is spent, a corrected draft gets a new one.
            s = replace(
                s, submit_key=None, kiosk_reference=None, pickup_code=None, queue_number=None
            )
            if f.code is ErrorCode.INVALID_FORM and f.field_errors:
                return replace(s, screen=Screen.FORM, field_errors=dict(f.field_errors)), []
            if f.code is ErrorCode.SESSION_EXPIRED:
                return _notice(s, texts.SUBMIT_FAILED_TITLE, texts.SESSION_EXPIRED), []
            return _notice(s, texts.SUBMIT_FAILED_TITLE, f.message or texts.UNEXPECTED), []
        # It could not even be saved at the kiosk: nothing was sent; the same key is safe.
        return _notice(
            s, texts.SUBMIT_FAILED_TITLE, texts.SAVE_FAILED_MESSAGE, retry=Retry.SUBMIT
        ), []

    def _on_deadline(self, s: FlowState, e: ev.Deadline) -> Step:
        if s.screen.value != e.screen or s.attempt != e.attempt:
            return s, []  # that wait is over already
        if s.screen is Screen.IDENTIFYING:
            log.warning("identification took too long: going on offline")
            return self._go_offline(s)
        if s.screen is Screen.SUBMITTING:
            if s.kiosk_reference is not None:
                return self._queued_outcome(s)
            log.error("the request was not saved in time")
            return _notice(
                s, texts.SUBMIT_FAILED_TITLE, texts.SAVE_FAILED_MESSAGE, retry=Retry.SUBMIT
            ), []
        if s.screen is Screen.PRINTING:
            log.error("printing took too long")
            tracking = _reference(s)
            return _notice(
                s, texts.PRINT_TIMEOUT_TITLE, texts.PRINT_TIMEOUT_MESSAGE, tracking=tracking
            ), []
        return s, []

    def _on_link_changed(self, s: FlowState, e: ev.LinkChanged) -> Step:
        s = replace(s, backend_unreachable=not e.up)
        if not e.up and s.screen is Screen.SUBMITTING and s.kiosk_reference is not None:
            return self._queued_outcome(s)
        return s, []

    def _on_poll_due(self, s: FlowState, e: ev.PollDue) -> Step:
        if s.screen is not Screen.WAITING or not _is_current(s, e.request_id):
            return s, []
        return s, [CheckStatus(s.session_no, e.request_id)]

    def _on_status_checked(self, s: FlowState, e: ev.StatusChecked) -> Step:
        if s.screen is not Screen.WAITING or not _is_current(s, e.request.id):
            return s, []
        return self._after_status(
            replace(s, request=e.request, backend_unreachable=False), e.request
        )

    def _after_status(self, s: FlowState, request: LetterRequest) -> Step:
        if request.status is RequestStatus.READY and request.document is not None:
            return self._fetch(s, request)
        if request.status is RequestStatus.REJECTED:
            reason = request.reject_reason or texts.UNEXPECTED
            return _notice(s, texts.REJECTED_TITLE, reason, tracking=request.tracking_code), []
        if request.status.is_final:
            return replace(s, screen=Screen.DONE), []
        return s, [self._poll_later(s, request.id)]

    def _poll_later(self, s: FlowState, request_id: str) -> Schedule:
        interval = float(s.kiosk.status_poll_s) if s.kiosk else 3.0
        return Schedule(interval, ev.PollDue(s.session_no, request_id))

    def _on_status_check_failed(self, s: FlowState, e: ev.StatusCheckFailed) -> Step:
        if s.screen is not Screen.WAITING or not _is_current(s, e.request_id):
            return s, []
        unreachable = e.failure.kind is ev.FailureKind.UNREACHABLE
        # Keep waiting: the receipt is printed, the request is safe at the backend.
        return replace(s, backend_unreachable=unreachable), [self._poll_later(s, e.request_id)]

    def _on_finish_later(self, s: FlowState, e: ev.FinishLater) -> Step:
        if s.screen is not Screen.WAITING:
            return s, []
        return replace(s, screen=Screen.DONE), []

    # --- printing --------------------------------------------------------------------------

    def _on_print_ready(self, s: FlowState, e: ev.PrintReady) -> Step:
        if s.screen not in (Screen.SERVICES, Screen.REQUESTS):
            return s, []
        # This kiosk's own record first: it knows whether the letter was printed here
        # already (the backend may not have heard yet), so a second copy is a reprint.
        mine = next(
            (r for r in s.my_requests if r.request_id == e.request_id and r.printable), None
        )
        request = next((r for r in s.ready_requests if r.id == e.request_id), None)
        if request is not None and (mine is None or not mine.reprint):
            return self._fetch(replace(s, request=request), request)
        if mine is None or mine.request_id is None or mine.sha256 is None:
            return s, []
        job = PrintLetter(
            s.session_no, mine.request_id, mine.sha256, mine.reference, mine.local_id, mine.reprint
        )
        return self._print(replace(s, printing=job))

    def _fetch(self, s: FlowState, request: LetterRequest) -> Step:
        assert request.document is not None
        job = PrintLetter(s.session_no, request.id, request.document.sha256, request.tracking_code)
        return self._print(replace(s, printing=job))

    def _print(self, s: FlowState) -> Step:
        """(Again) print the letter of `s.printing`: the print service does every step."""
        job = s.printing
        assert job is not None
        s = replace(s, print_step=PrintStep.DOWNLOADING)
        s, deadline = self._busy(s, Screen.PRINTING, self._deadlines.print_s)
        return s, [job, deadline]

    def _on_print_progress(self, s: FlowState, e: ev.PrintProgress) -> Step:
        if s.screen is not Screen.PRINTING or not _is_printing(s, e.request_id):
            return s, []
        try:
            step = PrintStep(e.step)
        except ValueError:
            return s, []
        return replace(s, print_step=step), []

    def _on_document_fetch_failed(self, s: FlowState, e: ev.DocumentFetchFailed) -> Step:
        if s.screen is not Screen.PRINTING or not _is_printing(s, e.request_id):
            return s, []
        tracking = _reference(s)
        notice = Notice(
            texts.DOWNLOAD_FAILED_TITLE, texts.DOWNLOAD_FAILED_MESSAGE, Retry.FETCH, tracking
        )
        return replace(s, screen=Screen.NOTICE, notice=notice, print_step=None), []

    def _on_document_printed(self, s: FlowState, e: ev.DocumentPrinted) -> Step:
        if s.screen is not Screen.PRINTING or not _is_printing(s, e.request_id):
            return s, []
        # The print service recorded the print and queued the report in one transaction.
        return replace(s, screen=Screen.DONE, print_step=None), []

    def _on_print_failed(self, s: FlowState, e: ev.PrintFailed) -> Step:
        if e.role is ev.PrinterRole.RECEIPT:
            # The request is safe without a receipt; say so, but do not stop the citizen.
            return replace(s, receipt_problem=texts.RECEIPT_FAILED, receipt_pending=False), []
        if s.screen is not Screen.PRINTING:
            return s, []
        tracking = _reference(s)
        if e.failure.kind is ev.FailureKind.VERIFY:
            title, message = texts.VERIFY_FAILED_TITLE, texts.VERIFY_FAILED_MESSAGE
            return _notice(s, title, message, tracking=tracking), []
        if e.failure.kind is ev.FailureKind.REJECTED:
            return _notice(
                s, texts.PRINTER_FAILED_TITLE, texts.REPRINT_LIMIT, tracking=tracking
            ), []
        detail = e.failure.detail or "printer error"
        notice = Notice(
            texts.PRINTER_FAILED_TITLE, texts.printer_failed(detail), Retry.PRINT, tracking
        )
        return replace(s, screen=Screen.NOTICE, notice=notice, print_step=None), []

    # --- the end of a session --------------------------------------------------------------

    def _on_rate(self, s: FlowState, e: ev.Rate) -> Step:
        if s.screen is not Screen.DONE or s.rating is not None or not 1 <= e.score <= 4:
            return s, []
        request_id = s.request.id if s.request else None
        return replace(s, rating=e.score), [SendRating(e.score, request_id)]

    def _on_finish(self, s: FlowState, e: ev.Finish) -> Step:
        if s.screen is not Screen.DONE:
            return s, []
        return self._end_session(s)

    def _on_home(self, s: FlowState, e: ev.Home) -> Step:
        if s.screen in MACHINE_BUSY_SCREENS or s.screen is Screen.ATTRACT:
            return s, []
        return self._end_session(s)

    def _on_answer_notice(self, s: FlowState, e: ev.AnswerNotice) -> Step:
        if s.screen is not Screen.NOTICE or s.notice is None:
            return s, []
        retry = s.notice.retry if e.choice is ev.NoticeChoice.RETRY else Retry.NOTHING
        if retry is Retry.SUBMIT:
            return self._submit(s)
        if retry in (Retry.FETCH, Retry.PRINT) and s.printing is not None:
            return self._print(s)
        return self._end_session(s)

    def _on_set_display(self, s: FlowState, e: ev.SetDisplay) -> Step:
        large = s.large_text if e.large_text is None else e.large_text
        contrast = s.high_contrast if e.high_contrast is None else e.high_contrast
        return replace(s, large_text=large, high_contrast=contrast), []

    def _end_session(self, s: FlowState) -> Step:
        """Back to attract, keeping nothing of the citizen who leaves."""
        fresh = FlowState(
            session_no=s.session_no + 1,
            last_activity=self._clock(),
            kiosk=s.kiosk,
            catalogue=s.catalogue,
            backend_unreachable=s.backend_unreachable,
            devices=s.devices,
            # Hashes and times only, forgotten on a tick once they are out of date.
            nik_locks=s.nik_locks,
            unknown_card=s.unknown_card,
        )
        return fresh, [EndSession(s.session_no)]

    def _forget_expired(self, s: FlowState) -> FlowState:
        now = self._clock()
        locks = tuple(x for x in s.nik_locks if x.until > now)
        card = s.unknown_card
        if (
            card is not None
            and card.session_no != s.session_no
            and now - card.seen_at > RANDOM_UID_WINDOW_S
        ):
            card = None
        if locks == s.nik_locks and card is s.unknown_card:
            return s
        return replace(s, nik_locks=locks, unknown_card=card)

    def _on_tick(self, s: FlowState, e: ev.Tick) -> Step:
        s = self._forget_expired(s)
        if s.screen is Screen.IDENTIFY and s.lock_until is not None:
            s = self._count_down(s)
        if s.screen is Screen.ATTRACT or s.screen in MACHINE_BUSY_SCREENS:
            return s, []
        if self._clock() - s.last_activity >= self._idle_limit(s):
            return self._end_session(s)
        return s, []

    def _idle_limit(self, s: FlowState) -> float:
        """How long this screen may stay untouched: `[timeouts] idle_s` for the screen,
        else the backend's idle_timeout_s; the done screen needs no answer, so shorter."""
        configured = self._deadlines.idle_limit(s.screen)
        if configured is not None:
            return configured
        if s.screen is Screen.DONE:
            return AFTER_RATING_S if s.rating is not None else DONE_TIMEOUT_S
        return s.idle_timeout_s

    def idle_warning_left(self) -> float | None:
        """Seconds until the idle timeout, while the "still there?" warning should show;
        None otherwise. The warning takes the last IDLE_WARNING_S seconds but never more
        than half the limit: with a short timeout it would cover the screen from the first
        second and swallow every tap meant for the screen below it. No warning on the done
        screen (nothing is lost there) nor where the machine is busy."""
        s = self.state
        if s.screen in (Screen.ATTRACT, Screen.DONE) or s.screen in MACHINE_BUSY_SCREENS:
            return None
        limit = self._idle_limit(s)
        left = max(0.0, limit - (self._clock() - s.last_activity))
        return left if left <= min(IDLE_WARNING_S, limit / 2) else None

    # --- the backend, in the background ------------------------------------------------------

    def _on_kiosk_loaded(self, s: FlowState, e: ev.KioskLoaded) -> Step:
        s = replace(s, kiosk=e.config, catalogue=e.catalogue)
        if e.cached:  # serve from the copy on disk; ask the backend again soon
            return replace(s, backend_unreachable=True), [
                Schedule(RELOAD_AFTER_FAILURE_S, ev.RetryLoad())
            ]
        s = replace(s, backend_unreachable=False)
        return s, [Schedule(RELOAD_AFTER_SUCCESS_S, ev.RetryLoad())]

    def _on_kiosk_load_failed(self, s: FlowState, e: ev.KioskLoadFailed) -> Step:
        log.warning("kiosk configuration not loaded: %s", e.failure.detail)
        unreachable = e.failure.kind is ev.FailureKind.UNREACHABLE
        s = replace(s, backend_unreachable=unreachable)
        return s, [Schedule(RELOAD_AFTER_FAILURE_S, ev.RetryLoad())]

    def _on_device_status(self, s: FlowState, e: ev.DeviceStatusChanged) -> Step:
        health = DeviceHealth(e.usable, e.availability, e.detail)
        s = replace(s, devices={**s.devices, e.role: health})
        if e.role == ev.PrinterRole.RECEIPT.value and s.receipt_pending:
            # The printer holds the receipt until paper or cover is fixed: say so.
            s = replace(s, receipt_problem=None if e.usable else texts.RECEIPT_WAITING)
        return s, []


# --- helpers -------------------------------------------------------------------------------

# What starts a citizen's session from the attract screen; refused there while the village
# office has closed the kiosk. A session already going on finishes normally.
_SESSION_STARTS = (
    ev.Start,
    ev.CardPresented,
    ev.IdentityRead,
    ev.OpenPickup,
    ev.PickupCodeScanned,
)


def _closed_to_citizens(s: FlowState, event: ev.Event) -> bool:
    return (
        s.out_of_service is not None
        and s.screen is Screen.ATTRACT
        and isinstance(event, _SESSION_STARTS)
    )


_CITIZEN_ACTIONS = (
    ev.Start,
    ev.SubmitNikPin,
    ev.ChooseService,
    ev.PrintReady,
    ev.SetField,
    ev.Next,
    ev.Back,
    ev.Confirm,
    ev.FinishLater,
    ev.Rate,
    ev.Finish,
    ev.Home,
    ev.AnswerNotice,
    ev.StillHere,
    ev.SetDisplay,
    ev.CardPresented,
    ev.IdentityRead,
    ev.PickupCodeScanned,
)


def _identify_says(s: FlowState, message: Text | None) -> FlowState:
    """The identify screen with `message` (None: nothing), and no lock countdown."""
    return replace(
        s,
        screen=Screen.IDENTIFY,
        identify_error=message,
        lock_until=None,
        lock_left_s=0,
        pins_held=False,
    )


def _seconds_until(until: float, now: float) -> int:
    return max(0, math.ceil(until - now))


def _receipt_asked(s: FlowState) -> FlowState:
    """The receipt is on its way; if the printer already waits for paper, say so now
    (no status change will come to say it)."""
    printer = s.devices.get(ev.PrinterRole.RECEIPT.value)
    waiting = printer is not None and not printer.usable
    return replace(
        s, receipt_pending=True, receipt_problem=texts.RECEIPT_WAITING if waiting else None
    )


def _is_citizen_action(event: ev.Event) -> bool:
    return isinstance(event, _CITIZEN_ACTIONS)


def _is_stale(s: FlowState, event: ev.Event) -> bool:
    session_no = getattr(event, "session_no", None)
    return session_no is not None and session_no != s.session_no


def _is_current(s: FlowState, request_id: str) -> bool:
    return s.request is not None and s.request.id == request_id


def _is_printing(s: FlowState, request_id: str) -> bool:
    return s.printing is not None and s.printing.request_id == request_id


def _reference(s: FlowState) -> str | None:
    """What the citizen quotes to an officer: tracking code, else the kiosk's reference."""
    if s.printing is not None:
        return s.printing.tracking_code
    if s.request is not None:
        return s.request.tracking_code
    return s.kiosk_reference


def _trimmed(values: dict[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if v.strip()}


def _notice(
    s: FlowState,
    title: Text,
    message: Text,
    *,
    retry: Retry = Retry.NOTHING,
    tracking: str | None = None,
) -> FlowState:
    notice = Notice(title, message, retry, tracking)
    return replace(s, screen=Screen.NOTICE, notice=notice, print_step=None)


def _backend_notice(
    s: FlowState, f: ev.Failure, title: Text, *, retry: Retry = Retry.NOTHING
) -> FlowState:
    if f.kind is ev.FailureKind.UNREACHABLE:
        s = replace(s, backend_unreachable=True)
        message = texts.OFFLINE_MESSAGE
    else:
        message = texts.SERVER_MESSAGE
        title = texts.SERVER_TITLE if title is texts.OFFLINE_TITLE else title
    return _notice(s, title, message, retry=retry, tracking=_reference(s))


def receipt_for(s: FlowState, request: LetterRequest | None, now: datetime) -> ReceiptContent:
    """The thermal receipt: proof of the request, and the way back to the letter.

    Without `request` the backend has not answered yet: the kiosk's own reference stands in
    for the tracking code. Either way the QR carries the secret pickup code.
    """
    village = s.kiosk.village if s.kiosk else None
    header = (
        (f"PEMERINTAH DESA {village.name.upper()}", f"Kec. {village.district}, {village.regency}")
        if village
        else ()
    )
    service = request.service_name.id if request else (s.service.name.id if s.service else "")
    # In the village's zone (`now` carries it), whatever zone the machine is set to.
    zone = now.tzinfo or village_zone()
    created = format_local(request.created_at if request else now, zone)
    rows = [ReceiptLine("Layanan", service), ReceiptLine("Tanggal", created)]
    if s.queue_number:
        rows.insert(0, ReceiptLine("No. antrean", s.queue_number))
    if s.resident is not None:
        rows += [
            ReceiptLine("Nama", s.resident.display_name),
            ReceiptLine("NIK", s.resident.nik_masked),
        ]
    if request is not None:
        rows.append(ReceiptLine("Status", texts.STATUS_LABELS[request.status.value].id))
    else:
        rows.append(ReceiptLine("Status", texts.STATUS_LABELS["queued"].id))
    if s.kiosk_reference and request is not None:
        rows.append(ReceiptLine("Ref. kios", s.kiosk_reference))
    footer = (
        "Simpan struk ini sebagai tanda terima.",
        "Surat dapat dicetak di kios ini setelah",
        "ditandatangani Kepala Desa: tempelkan",
        "e-KTP Anda atau pindai kode QR ini.",
    )
    code = s.pickup_code
    return ReceiptContent(
        header=header,
        title="TANDA TERIMA PERMOHONAN",
        rows=tuple(rows),
        tracking_code=request.tracking_code if request else (s.kiosk_reference or ""),
        qr_payload=pickup.qr_payload(code)
        if code
        else (request.verify_url or "")
        if request
        else "",
        footer=footer,
        pickup_code=pickup.display(code) if code else None,
    )
