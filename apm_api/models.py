"""Typed models of backend API v1: the contract between the kiosk and any backend.

The same models are used by the kiosk's client (to validate every answer) and by the
reference server (to build its answers), and `api/openapi.yaml` describes them for other
implementations.  A test checks the server's real answers against that document, so the
three cannot drift apart silently.

Rules that keep the contract robust:
- Every model forbids unknown fields on requests the kiosk *sends* (strict input to a
  server) but ignores unknown fields in answers it *receives*, so a newer backend can add
  fields without breaking older kiosks.
- Personal data is minimal: the kiosk never receives a resident's full NIK, only a masked
  form for display.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
)

from apm_api.form_text import normalise_text, text_problem

API_PREFIX = "/api/v1"
# An Idempotency-Key: 8 to 200 visible ASCII characters (a UUID fits).
IDEMPOTENCY_KEY_PATTERN = "^[!-~]{8,200}$"

NIK_PATTERN = r"^[0-9]{16}$"
PIN_PATTERN = r"^[0-9]{6}$"
# A card UID as the kiosk sends it: upper-case hex, 4 to 10 bytes (8 to 20 hex digits).
CARD_UID_PATTERN = r"^[0-9A-F]{8,20}$"
TRACKING_CODE_PATTERN = r"^[0-9]{6}-[0-9]{3,6}$"  # ddmmyy-NNN, as village systems print it
SHA256_PATTERN = r"^[0-9a-f]{64}$"

Nik = Annotated[str, StringConstraints(pattern=NIK_PATTERN)]
Pin = Annotated[str, StringConstraints(pattern=PIN_PATTERN)]
CardUid = Annotated[str, StringConstraints(pattern=CARD_UID_PATTERN)]
TrackingCode = Annotated[str, StringConstraints(pattern=TRACKING_CODE_PATTERN)]
Sha256Hex = Annotated[str, StringConstraints(pattern=SHA256_PATTERN)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Answer(BaseModel):
    """Base for everything the kiosk receives: unknown fields are ignored."""

    # defer_build: validators are compiled on first use, not at import, which keeps them
    # off the kiosk's start-up path (most answers are first parsed on a worker thread).
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class Sent(BaseModel):
    """Base for everything the kiosk sends: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Text(Answer):
    """A text in Bahasa Indonesia with an optional English version."""

    id: str
    en: str | None = None


# --- messages with values, translatable in any language ---------------------------------
# A message such as "NIK harus 16 angka; Anda mengetik 15." cannot be looked up in a
# translation file as it is: its number changes. Made with `fill` from a template constant
# ("NIK harus {need} angka; Anda mengetik {typed}."), it keeps the template and the values,
# and `said_in` says it in a third language by translating the template and each value on
# their own (kiosk.flow.catalogue puts every `t(...)` template into the translation files).

# A value put into a template: kept as it is (a number, a code), or a Text said in the
# reader's language, or several Texts said one after the other with commas.
Value = str | Text | list[Text]
# Looks an Indonesian text up in the current translation file; gives it back if absent.
Translate = Callable[[str], str]


def t(id_text: str, en_text: str) -> Text:
    return Text(id=id_text, en=en_text)


class Phrase(Text):
    """A message made from a template constant and values (`fill`)."""

    _template: Text | None = PrivateAttr(default=None)
    _values: dict[str, Value] = PrivateAttr(default_factory=dict)


def fill(template: Text, **values: Value) -> Phrase:
    """`template` ("... {left} ...") with each {name} replaced, in both languages."""
    phrase = Phrase(
        id=template.id.format(**{k: _said(v, "id") for k, v in values.items()}),
        en=(template.en or template.id).format(**{k: _said(v, "en") for k, v in values.items()}),
    )
    phrase._template = template
    phrase._values = dict(values)
    return phrase


def _said(value: Value, lang: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Text):
        return value.en if lang == "en" and value.en else value.id
    return ", ".join(_said(v, lang) for v in value)


def said_in(text: Text, translate: Translate) -> str:
    """`text` in a language that has only a translation file: looked up by its Indonesian,
    a template and its values each on their own; Indonesian where the file lacks it."""
    if isinstance(text, Phrase) and text._template is not None:
        values = {k: _said_in(v, translate) for k, v in text._values.items()}
        try:
            return (translate(text._template.id) or text._template.id).format(**values)
        except (KeyError, IndexError, ValueError):  # a translator's slip in a {name}
            return text.id
    return translate(text.id) or text.id


def _said_in(value: Value, translate: Translate) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Text):
        return said_in(value, translate)
    return ", ".join(said_in(v, translate) for v in value)


# --- errors --------------------------------------------------------------------------


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"  # missing or wrong device token
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    UNKNOWN_CARD = "unknown_card"  # no resident has this card UID
    UNKNOWN_RESIDENT = "unknown_resident"  # an offline request's NIK is not a resident's
    WRONG_PIN = "wrong_pin"  # NIK unknown or PIN wrong (not told apart, on purpose)
    LOCKED = "locked"  # too many wrong PINs; retry_after_s says when to try again
    # Too many wrong PINs across NIKs at this kiosk (or at all): PIN checks wait
    # retry_after_s; cards still work.
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    FINGERPRINT_MISMATCH = "fingerprint_mismatch"  # a SAM reader matched another finger
    SESSION_EXPIRED = "session_expired"
    SERVICE_UNAVAILABLE = "service_unavailable"  # service disabled for this kiosk
    INVALID_FORM = "invalid_form"  # field_errors says which fields
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"  # same key, different body
    INVALID_STATE = "invalid_state"  # e.g. document requested before signing
    INTERNAL = "internal"


class ApiError(Answer):
    """Body of every 4xx/5xx answer."""

    code: ErrorCode
    message: Text
    field_errors: dict[str, Text] = Field(default_factory=dict)
    retry_after_s: int | None = None


# --- kiosk configuration ---------------------------------------------------------------


class Village(Answer):
    name: str
    district: str  # kecamatan
    regency: str  # kabupaten / kota
    province: str
    address: str
    head_name: str  # kepala desa, shown in the signature block
    code: str  # kode wilayah desa


class OpeningHours(Answer):
    """When the village office serves at its desk (the kiosk serves around the clock)."""

    days: Text  # "Senin - Jumat" / "Monday - Friday"
    hours: str = Field(max_length=40)  # "08.00 - 15.00 WIB"


class KioskConfig(Answer):
    kiosk_id: str
    village: Village
    services_enabled: list[str]  # service codes, in the order the kiosk shows them
    idle_timeout_s: int = Field(default=60, ge=10, le=600)
    status_poll_s: int = Field(default=3, ge=1, le=300)
    support_phone: str | None = None
    # Shown on the attract screen (and kept with the configuration for offline days).
    announcements: list[Text] = Field(default_factory=list, max_length=5)
    opening_hours: list[OpeningHours] = Field(default_factory=list, max_length=7)
    # The village's emblem for the attract screen: a PNG in base64 (apm_api.logo checks it;
    # a bad one is left out by the kiosk, not a reason to refuse the configuration).
    logo_png: str | None = None
    # Set by the village office to close the kiosk for a while (maintenance, a holiday):
    # the attract screen says so with this reason, and nobody can start.
    out_of_service: Text | None = None


# --- service catalogue -------------------------------------------------------------------


class FieldKind(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    DATE = "date"  # ISO yyyy-mm-dd
    CHOICE = "choice"


class Choice(Answer):
    value: str
    label: Text


TOO_SHORT = t("Minimal {n} karakter.", "At least {n} characters.")
TOO_LONG = t("Maksimal {n} karakter.", "At most {n} characters.")


class FormField(Answer):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    label: Text
    kind: FieldKind
    required: bool = True
    min_length: int = 0
    max_length: int = Field(default=200, ge=1, le=2000)
    pattern: str | None = None  # a full-match regular expression, checked by kiosk and server
    help: Text | None = None
    choices: list[Choice] = Field(default_factory=list)  # for kind == choice
    # Name of a resident attribute that fills this field in advance (e.g. "address").
    prefill: str | None = None

    def problem(self, value: str) -> Text | None:
        """What is wrong with `value` for this field (Indonesian, with English), or None.

        The kiosk checks before sending so the citizen gets an answer at once; the server
        checks again because it cannot trust any client. Both check the value as it will be
        sent and printed (`normalise_text`), and refuse what the letter cannot print.
        """
        value = normalise_text(value)
        if not value:
            return Text(id="Wajib diisi.", en="Required.") if self.required else None
        unprintable = text_problem(value)
        if unprintable is not None:
            return fill(t(*unprintable.template), **dict(unprintable.values))
        if len(value) < self.min_length:
            return fill(TOO_SHORT, n=str(self.min_length))
        if len(value) > self.max_length:
            return fill(TOO_LONG, n=str(self.max_length))
        return self._kind_problem(value)

    def _kind_problem(self, value: str) -> Text | None:
        # ASCII digits only: "²" or "١" pass str.isdigit() but are no amount to print.
        if self.kind is FieldKind.NUMBER and not (value.isascii() and value.isdigit()):
            return Text(id="Hanya angka.", en="Digits only.")
        if self.kind is FieldKind.DATE and not _is_iso_date(value):
            return Text(id="Tanggal tidak valid (tttt-bb-hh).", en="Not a valid date (yyyy-mm-dd).")
        if self.kind is FieldKind.CHOICE and value not in {c.value for c in self.choices}:
            return Text(id="Pilih salah satu pilihan.", en="Choose one of the options.")
        if self.pattern and not re.fullmatch(self.pattern, value):
            return Text(id="Format tidak sesuai.", en="Not in the expected format.")
        return None


def _is_iso_date(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


class Service(Answer):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,19}$")]
    name: Text
    description: Text
    fields: list[FormField]
    estimated_minutes: int = Field(default=10, ge=0)


class Catalogue(Answer):
    version: str  # changes whenever any service changes; the kiosk caches by it
    services: list[Service]


# --- identification ------------------------------------------------------------------------


class IdentifyByCard(Sent):
    method: Literal["card"] = "card"
    card_uid: CardUid


class IdentifyByNikPin(Sent):
    method: Literal["nik_pin"] = "nik_pin"
    nik: Nik
    pin: Pin = Field(repr=False)  # never in a log line or an effect's repr


class IdentifyBySam(Sent):
    """The NIK as a SAM-equipped e-KTP reader at the kiosk read it from the chip.

    The backend trusts it as far as it trusts the kiosk (its device token): only kiosks
    configured with a SAM reader send it. A fingerprint the reader matched against
    another finger is refused; one not checked is the backend's policy to accept."""

    method: Literal["sam"] = "sam"
    nik: Nik
    fingerprint: Literal["matched", "not-matched", "not-done", "not-supported"]
    reader: ShortText  # model, serial and SAM id, for the audit trail


IdentifyRequest = Annotated[
    IdentifyByCard | IdentifyByNikPin | IdentifyBySam, Field(discriminator="method")
]


class Resident(Answer):
    display_name: str
    nik_masked: str  # e.g. "3523••••••••0001": never the full NIK
    # Attributes a form may be prefilled from (address, birth place/date, occupation, ...).
    prefill: dict[str, str] = Field(default_factory=dict)


class Session(Answer):
    """A resident's short-lived session; its token goes in the X-Session-Token header."""

    session_token: str
    expires_at: datetime
    resident: Resident


# --- requests --------------------------------------------------------------------------


class RequestStatus(StrEnum):
    """The request lifecycle of village letter systems (see shared/reference/domain.md)."""

    INCOMPLETE = "incomplete"
    UNDER_REVIEW = "under_review"
    AWAITING_SIGNATURE = "awaiting_signature"
    READY = "ready"  # signed, document can be downloaded and printed
    COLLECTED = "collected"  # printed at a kiosk (or handed out)
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (RequestStatus.COLLECTED, RequestStatus.CANCELLED, RequestStatus.REJECTED)


class ApplicantByCard(Sent):
    """Who asked, when the kiosk could not identify them online: the e-KTP's UID."""

    method: Literal["card"] = "card"
    card_uid: CardUid


class ApplicantByNik(Sent):
    """Who asked, when the kiosk could not identify them online: the NIK they typed."""

    method: Literal["nik"] = "nik"
    nik: Nik


Applicant = Annotated[ApplicantByCard | ApplicantByNik, Field(discriminator="method")]


class SubmitRequest(Sent):
    """POST /requests body; sent with an Idempotency-Key header.

    Normally sent with the resident's X-Session-Token. A request taken while the backend
    could not be reached is sent later, when the link returns, without a session but with
    `applicant`: the identity is then unverified and the back office checks it.
    """

    service_code: str
    fields: dict[str, str]
    applicant: Applicant | None = None
    # When the citizen confirmed at the kiosk (a queued request arrives later).
    submitted_at: datetime | None = None
    # The kiosk's own reference, printed on the receipt before the backend answered.
    kiosk_reference: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,32}$")] | None = None

    @field_validator("fields")
    @classmethod
    def _as_printed(cls, fields: dict[str, str]) -> dict[str, str]:
        # Values travel and are stored as the letter prints them (curly quotes straight,
        # spaces collapsed: `normalise_text`), whoever built the body; what the letter
        # cannot print is left for the form check to refuse with field_errors.
        return {name: normalise_text(value) for name, value in fields.items()}


class DocumentInfo(Answer):
    sha256: Sha256Hex
    size: int = Field(ge=1)
    letter_number: str
    signed_at: datetime


class LetterRequest(Answer):
    id: str
    tracking_code: TrackingCode
    service_code: str
    service_name: Text
    status: RequestStatus
    created_at: datetime
    updated_at: datetime
    reject_reason: Text | None = None
    document: DocumentInfo | None = None  # present once status is ready or collected
    verify_url: str | None = None
    # False for a request sent without a session (taken offline): the office checks it.
    identity_verified: bool = True
    kiosk_reference: str | None = None


class RequestList(Answer):
    """GET /requests: the identified resident's requests that are not final, newest first.

    A citizen who comes back after the village head signed sees here what is ready to print.
    """

    requests: list[LetterRequest]


class MarkPrinted(Sent):
    """POST /requests/{id}/printed body; sent with an Idempotency-Key header."""

    kiosk_id: str
    document_sha256: Sha256Hex


class Rating(Sent):
    """POST /ratings body: the one-tap satisfaction rating after a session.

    The scale is the 4-point one of the Survei Kepuasan Masyarakat: 1 tidak puas (not
    satisfied), 2 kurang puas, 3 puas, 4 sangat puas (very satisfied).
    """

    kiosk_id: str
    request_id: str | None = None
    score: int = Field(ge=1, le=4)


# --- heartbeat ----------------------------------------------------------------------------


class DeviceReport(Sent):
    role: str  # receipt_printer, a4_printer, card_reader
    type: str  # config type string
    availability: str
    detail: str = ""
    paper: str | None = None  # full, low, out, jammed, unknown (printers that can tell)


ComponentVersions = Annotated[
    dict[
        Annotated[str, Field(min_length=1, max_length=40)],
        Annotated[str, Field(max_length=100)],
    ],
    Field(max_length=20),
]


class Heartbeat(Sent):
    kiosk_id: str
    software_version: str
    uptime_s: int = Field(ge=0)
    screen: str
    online_since: datetime | None = None
    devices: list[DeviceReport] = Field(default_factory=list)
    outbox_pending: int | None = Field(default=None, ge=0)  # waiting to be sent
    dead_letters: int | None = Field(default=None, ge=0)  # given up on: a technician looks
    # Versions of what the kiosk runs on, by name: {"python": "3.11.2", "qt": "6.8.1",
    # "os": "Debian GNU/Linux 12 (bookworm)"}, for a district's upgrade planning.
    components: ComponentVersions = Field(default_factory=dict)


class FleetKiosk(Answer):
    """One kiosk in the district's fleet view: its latest heartbeat, and whether it is late."""

    kiosk_id: str
    label: str
    village_code: str | None = None  # kode wilayah of the village it serves
    revoked: bool = False
    last_seen: datetime | None = None  # the latest heartbeat's arrival (None: never)
    late: bool  # not seen for longer than the server's fleet_late_s
    software_version: str | None = None
    uptime_s: int | None = None
    screen: str | None = None
    devices: list[DeviceReport] = Field(default_factory=list)
    paper_low: bool = False  # a printer says low or out
    outbox_pending: int | None = None
    dead_letters: int | None = None
    components: ComponentVersions = Field(default_factory=dict)


class Fleet(Answer):
    late_after_s: int
    kiosks: list[FleetKiosk]


class HeartbeatAck(Answer):
    server_time: datetime
    config_version: str | None = None  # if it changed, the kiosk reloads its configuration
    catalogue_version: str | None = None


# --- enrolment: how a kiosk gets its device token -----------------------------------------


class VillageSetup(Sent):
    """A village a district server serves: who it is, and which services its kiosks offer
    (codes of the district's catalogue, in the order the kiosks list them)."""

    village: Village
    services: list[str] = Field(min_length=1, max_length=50)


class Villages(Answer):
    villages: list[VillageSetup]


class EnrolmentCreate(Sent):
    """An administrator asks for a one-time enrolment token for a kiosk about to be set up."""

    label: str = Field(min_length=1, max_length=80)  # e.g. "Balai desa Sumberejo"
    valid_hours: int = Field(default=72, ge=1, le=720)
    # The village (kode wilayah) the kiosk will serve; None: the server's first village.
    village_code: str | None = Field(default=None, min_length=1, max_length=20)


class EnrolmentToken(Answer):
    """Handed to the installer (a provisioning file); it works once, until `expires_at`."""

    token: str
    label: str
    expires_at: datetime


class Enrol(Sent):
    """What a kiosk sends, once, at its first boot (apm-kiosk provision)."""

    enrolment_token: str = Field(min_length=16, max_length=200)


class Enrolled(Answer):
    """The kiosk's own device token: shown this once, kept only as a hash by the server."""

    kiosk_id: str
    device_token: str
    label: str
    # The village (kode wilayah) the kiosk now serves, for the kiosk to check against its
    # provisioning file. None from a backend that does not say: GET /kiosk/config does.
    village_code: str | None = None


# --- smart-city figures -----------------------------------------------------------------------


class FiguresRow(Answer):
    """One kiosk, or the whole village (kiosk_id None), over the period."""

    village_code: str
    kiosk_id: str | None
    label: str
    requests_submitted: int
    letters_signed: int
    letters_printed: int
    requests_rejected: int
    median_hours_to_signature: float | None  # request to the village head's signature
    median_hours_to_print: float | None  # request to the letter printed at the kiosk
    availability_pct: float | None  # minutes with a heartbeat, of the minutes gone by
    ratings: int
    mean_rating: float | None  # 1 to 4
    satisfaction_index: float | None  # IKM (PermenPAN-RB 14/2017): mean rating / 4 x 100


class Figures(Answer):
    """What SNI ISO 37122 evaluations ask of a self-service point, per kiosk and village."""

    period_from: date
    period_to: date  # inclusive, village time
    rows: list[FiguresRow]
