"""What the screen shows, derived from the flow state: a plain dict for the QML.

The QML only renders this and sends intents back; every decision about what to show
(which texts, which language, which fields, which warning) is made here, in Python,
where it is tested without a display.  Keys are camelCase because QML reads them.
Nothing secret goes in: no session token, no full NIK, no PIN.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from apm_api.logo import LogoError, decode_logo
from apm_api.models import FieldKind, Text
from kiosk.flow import texts
from kiosk.flow.state import MACHINE_BUSY_SCREENS, FlowState, Retry, Screen

log = logging.getLogger(__name__)

ROLE_NAMES = {
    "receipt_printer": texts.t("printer struk", "receipt printer"),
    "document_printer": texts.t("printer surat", "letter printer"),
    "card_reader": texts.t("pembaca kartu", "card reader"),
    "scanner": texts.t("pemindai QR", "QR scanner"),
}
DEVICE_PROBLEM = texts.t(
    "Gangguan pada {names}. Hubungi petugas.", "Problem with the {names}. Please ask an officer."
)


def instruction(s: FlowState) -> Text | None:
    """What voice guidance reads on this screen (None: nothing)."""
    if s.screen is Screen.NOTICE and s.notice is not None:
        return s.notice.message
    return texts.INSTRUCTIONS.get(s.screen.value)


def receipt_note(s: FlowState) -> Text:
    """What the waiting screen says of the receipt: only "printed" once it has been."""
    if s.receipt_problem is not None:
        return s.receipt_problem
    return texts.RECEIPT_PRINTING if s.receipt_pending else texts.RECEIPT_PRINTED


@dataclass(frozen=True)
class Language:
    """The citizen's language: Indonesian and English come with every Text; any other is
    looked up in its Qt translation file through `translate` (given by the UI)."""

    code: str = "id"
    translate: texts.Translate | None = None


def say(text: Text | None, lang: Language) -> str:
    if text is None:
        return ""
    if lang.code == "en" and text.en:
        return text.en
    if lang.code in ("id", "en") or lang.translate is None:
        return text.id
    return texts.said_in(text, lang.translate)


def view_model(
    state: FlowState,
    *,
    lang: str = "id",
    idle_left: float | None = None,
    translate: texts.Translate | None = None,
) -> dict:
    return _view_model(state, Language(lang, translate), idle_left)


def _view_model(s: FlowState, lang: Language, idle_left: float | None) -> dict:
    return {
        "screen": s.screen.value,
        # The flow ignores Home while the machine works (submitting, printing, ...).
        "canGoHome": s.screen is not Screen.ATTRACT and s.screen not in MACHINE_BUSY_SCREENS,
        "lang": lang.code,
        "ready": s.ready,
        "offline": s.backend_unreachable,
        "village": _village(s),
        "logo": _logo(s.kiosk.logo_png if s.kiosk else None),
        "outOfService": _out_of_service(s, lang),
        "announcements": [say(a, lang) for a in s.kiosk.announcements] if s.kiosk else [],
        "openingHours": _opening_hours(s, lang),
        "banner": _banner(s, lang),
        # idle_left: from Flow.idle_warning_left(), set only while the warning shows.
        "idleLeft": math.ceil(idle_left) if idle_left is not None else -1,
        "resident": _resident(s),
        "identifyError": say(s.identify_error, lang),
        "services": [
            {
                "code": x.code,
                "name": say(x.name, lang),
                "description": say(x.description, lang),
                "minutes": x.estimated_minutes,
            }
            for x in s.services
        ],
        "readyRequests": _ready(s, lang),
        "myRequests": _mine(s, lang),
        "identityNote": _identity_note(s, lang),
        "pickupError": say(s.pickup_error, lang),
        "queued": s.queued,
        "queuedMessage": say(texts.QUEUED_MESSAGE, lang) if s.queued else "",
        "reference": s.kiosk_reference or "",
        "service": (
            {"code": s.service.code, "name": say(s.service.name, lang)} if s.service else None
        ),
        "fields": _fields(s, lang),
        "summary": _summary(s, lang),
        "request": _request(s, lang),
        "printStep": s.print_step.value if s.print_step else "",
        "notice": _notice(s, lang),
        "receiptProblem": say(s.receipt_problem, lang),
        "receiptNote": say(receipt_note(s), lang),
        "instruction": say(instruction(s), lang),
        "largeText": s.large_text,
        "highContrast": s.high_contrast,
        "rating": s.rating or 0,
    }


def _ready(s: FlowState, lang: Language) -> list[dict[str, Any]]:
    """Letters the citizen can print now: the backend's list, and this kiosk's own records
    (prefetched letters print while the link is down)."""
    printed_here = {m.request_id for m in s.my_requests if m.reprint}
    rows = [
        {
            "id": r.id,
            "service": say(r.service_name, lang),
            "trackingCode": r.tracking_code,
            "reprint": r.id in printed_here,  # printed here; the backend has not heard yet
        }
        for r in s.ready_requests
    ]
    known = {r.id for r in s.ready_requests}
    rows += [
        {
            "id": m.request_id,
            "service": say(m.service_name, lang),
            "trackingCode": m.reference,
            "reprint": m.reprint,
        }
        for m in s.my_requests
        if m.printable and m.request_id and m.request_id not in known
    ]
    return rows


def _mine(s: FlowState, lang: Language) -> list[dict[str, Any]]:
    return [
        {
            "id": m.request_id or "",
            "reference": m.reference,
            "service": say(m.service_name, lang),
            "status": m.status,
            "statusLabel": say(texts.STATUS_LABELS.get(m.status), lang) or m.status,
            "reason": say(m.reason, lang),
            "printable": m.printable and m.request_id is not None,
            "reprint": m.reprint,
        }
        # Letters that can be printed now come first: that is what the citizen came for.
        for m in sorted(s.my_requests, key=lambda m: not (m.printable and m.request_id))
    ]


def _identity_note(s: FlowState, lang: Language) -> str:
    """Said on the services screen when the citizen was identified without the backend."""
    if not s.identified_offline or s.applicant is None:
        return ""
    if s.applicant.method == "nik":
        return say(texts.OFFLINE_IDENTIFIED_NIK, lang)
    return say(texts.OFFLINE_IDENTIFIED_CARD, lang)


def _village(s: FlowState) -> dict[str, str] | None:
    if s.kiosk is None:
        return None
    v = s.kiosk.village
    return {"name": v.name, "district": v.district, "regency": v.regency}


@lru_cache(maxsize=2)  # the same logo for every view model: checked once
def _logo(png_base64: str | None) -> str:
    """The village's emblem as a data URL for the QML Image, or "" (none, or unusable)."""
    if not png_base64:
        return ""
    try:
        decode_logo(png_base64)
    except LogoError as problem:
        log.warning("village logo not shown: %s", problem)
        return ""
    return "data:image/png;base64," + png_base64


def _out_of_service(s: FlowState, lang: Language) -> dict[str, str] | None:
    """The attract screen's notice while the village office has closed the kiosk."""
    reason = s.out_of_service
    if reason is None or s.kiosk is None:
        return None
    phone = s.kiosk.support_phone
    return {
        "title": say(texts.OUT_OF_SERVICE_TITLE, lang),
        "reason": say(reason, lang),
        "advice": say(texts.OUT_OF_SERVICE_ADVICE, lang),
        "phone": say(texts.fill(texts.SUPPORT_PHONE, phone=phone), lang) if phone else "",
    }


def _opening_hours(s: FlowState, lang: Language) -> list[dict[str, str]]:
    if s.kiosk is None:
        return []
    return [{"days": say(h.days, lang), "hours": h.hours} for h in s.kiosk.opening_hours]


def _resident(s: FlowState) -> dict[str, str] | None:
    if s.resident is None:
        return None
    return {"name": s.resident.display_name, "nik": s.resident.nik_masked}


def _banner(s: FlowState, lang: Language) -> str:
    """One line about what does not work right now, or "" when all is well."""
    if s.backend_unreachable:  # calm: the kiosk still serves (offline service)
        return say(texts.OFFLINE_BANNER, lang)
    broken = sorted(
        (
            ROLE_NAMES.get(role) or texts.t(role, role)
            for role, h in s.devices.items()
            if not h.usable
        ),
        key=lambda name: say(name, lang),
    )
    if broken:
        return say(texts.fill(DEVICE_PROBLEM, names=broken), lang)
    return ""


def _fields(s: FlowState, lang: Language) -> list[dict[str, Any]]:
    if s.service is None:
        return []
    return [
        {
            "name": f.name,
            "label": say(f.label, lang),
            "kind": f.kind.value,
            "multiline": f.kind is FieldKind.TEXTAREA,
            "digitsOnly": f.kind is FieldKind.NUMBER,
            "value": s.values.get(f.name, ""),
            "error": say(s.field_errors.get(f.name), lang),
            "required": f.required,
            "help": say(f.help, lang),
            "maxLength": f.max_length,
            "choices": [{"value": c.value, "label": say(c.label, lang)} for c in f.choices],
        }
        for f in s.service.fields
    ]


def _summary(s: FlowState, lang: Language) -> list[dict[str, str]]:
    if s.service is None:
        return []
    rows = []
    for f in s.service.fields:
        value = s.values.get(f.name, "").strip()
        if f.choices:
            value = next((say(c.label, lang) for c in f.choices if c.value == value), value)
        rows.append({"label": say(f.label, lang), "value": value or "-"})
    return rows


def _request(s: FlowState, lang: Language) -> dict[str, str] | None:
    r = s.request
    if r is None:
        if s.printing is not None:  # printing from this kiosk's records (pickup)
            return {
                "trackingCode": s.printing.tracking_code,
                "status": "ready",
                "statusLabel": say(texts.STATUS_LABELS["ready"], lang),
                "service": "",
            }
        return None
    return {
        "trackingCode": r.tracking_code,
        "status": r.status.value,
        "statusLabel": say(texts.STATUS_LABELS.get(r.status.value), lang),
        "service": say(r.service_name, lang),
    }


def _notice(s: FlowState, lang: Language) -> dict[str, Any] | None:
    n = s.notice
    if n is None or s.screen is not Screen.NOTICE:
        return None
    return {
        "title": say(n.title, lang),
        "message": say(n.message, lang),
        "canRetry": n.retry is not Retry.NOTHING,
        "trackingCode": n.tracking_code or "",
    }
