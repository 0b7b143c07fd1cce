"""Fixtures for the citizen flow: real API models, a fake clock, no Qt, no network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apm_api.models import (
    Catalogue,
    DocumentInfo,
    FieldKind,
    FormField,
    KioskConfig,
    LetterRequest,
    OpeningHours,
    RequestStatus,
    Resident,
    Service,
    Session,
    Text,
    Village,
)
from kiosk.flow import Flow
from kiosk.flow import events as ev

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SITI_UID = "04A3B2C1D0E1F2"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def kiosk_config(services: list[str] | None = None) -> KioskConfig:
    return KioskConfig(
        kiosk_id="KIOSK-TEST",
        village=Village(
            name="Sumberejo",
            district="Merakurak",
            regency="Kabupaten Tuban",
            province="Jawa Timur",
            address="Jl. Raya Sumberejo No. 1",
            head_name="Ahmad Fauzi",
            code="35.23.01.2001",
        ),
        services_enabled=services or ["SKD", "SKU"],
        idle_timeout_s=60,
        status_poll_s=2,
        announcements=[
            Text(
                id="Pendaftaran bantuan pangan dibuka sampai 15 Desember di balai desa.",
                en="Food aid registration is open until 15 December at the village hall.",
            )
        ],
        opening_hours=[
            OpeningHours(
                days=Text(id="Senin - Kamis", en="Monday - Thursday"), hours="08.00 - 15.00 WIB"
            ),
            OpeningHours(days=Text(id="Jumat", en="Friday"), hours="08.00 - 11.00 WIB"),
        ],
    )


def catalogue() -> Catalogue:
    return Catalogue(
        version="v1",
        services=[
            Service(
                code="SKD",
                name=Text(id="Surat Keterangan Domisili", en="Certificate of Domicile"),
                description=Text(id="Keterangan tempat tinggal"),
                fields=[
                    FormField(
                        name="keperluan",
                        label=Text(id="Keperluan"),
                        kind=FieldKind.TEXT,
                        min_length=3,
                    ),
                    FormField(
                        name="alamat_domisili",
                        label=Text(id="Alamat domisili"),
                        kind=FieldKind.TEXTAREA,
                        prefill="address",
                    ),
                ],
            ),
            Service(
                code="SKU",
                name=Text(id="Surat Keterangan Usaha"),
                description=Text(id="Keterangan usaha"),
                fields=[
                    FormField(name="nama_usaha", label=Text(id="Nama usaha"), kind=FieldKind.TEXT),
                    FormField(
                        name="mulai_usaha", label=Text(id="Mulai usaha"), kind=FieldKind.DATE
                    ),
                ],
            ),
            Service(  # in the catalogue but not enabled for this kiosk
                code="SKCK",
                name=Text(id="Surat Pengantar SKCK"),
                description=Text(id="Pengantar SKCK"),
                fields=[],
            ),
        ],
    )


def session() -> Session:
    return Session(
        session_token="secret-session-token",
        expires_at=NOW + timedelta(minutes=15),
        resident=Resident(
            display_name="Siti Rahayu",
            nik_masked="3523••••••••0001",
            prefill={"address": "Dusun Krajan RT 002 RW 001"},
        ),
    )


def letter_request(status: RequestStatus = RequestStatus.UNDER_REVIEW, **extra) -> LetterRequest:
    document = None
    if status in (RequestStatus.READY, RequestStatus.COLLECTED):
        document = DocumentInfo(
            sha256="ab" * 32, size=1234, letter_number="474/001/XI/2026", signed_at=NOW
        )
    fields = {
        "id": "req-1",
        "tracking_code": "231126-001",
        "service_code": "SKD",
        "service_name": Text(id="Surat Keterangan Domisili"),
        "status": status,
        "created_at": NOW,
        "updated_at": NOW,
        "document": document,
        "verify_url": "http://127.0.0.1:8080/verify/req-1?code=231126-001",
    }
    fields.update(extra)
    return LetterRequest(**fields)


class Driver:
    """Feeds a Flow and keeps every effect it asked for."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        keys = iter(f"key-{n}" for n in range(1, 1000))
        self.flow = Flow(clock=self.clock, new_key=lambda: next(keys))
        self.effects: list = []

    @property
    def state(self):
        return self.flow.state

    def send(self, event) -> list:
        out = self.flow.handle(event)
        self.effects.extend(out)
        return out

    def loaded(self) -> Driver:
        self.send(ev.KioskLoaded(kiosk_config(), catalogue()))
        return self

    def identified(self) -> Driver:
        self.loaded()
        self.send(ev.CardPresented(SITI_UID))
        self.send(ev.Identified(self.state.session_no, session()))
        return self

    def at_confirm(self) -> Driver:
        self.identified()
        self.send(ev.ChooseService("SKD"))
        self.send(ev.SetField("keperluan", "Melamar pekerjaan"))
        self.send(ev.Next())
        return self

    def waiting(self) -> Driver:
        self.at_confirm()
        self.send(ev.Confirm())
        self.send(ev.Submitted(self.state.session_no, letter_request()))
        return self


@pytest.fixture
def driver() -> Driver:
    return Driver()
