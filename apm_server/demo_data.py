"""The demo village, its kiosk, residents and services (other parts of the project rely
on these exact values: the README, the demo script, the tests)."""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any

from apm_api.models import Choice, FieldKind, FormField, OpeningHours, Service, Text, Village

KIOSK_ID = "KIOSK-DEMO-01"
KIOSK_TOKEN = "demo-kiosk-token"
ADMIN_TOKEN = "demo-admin-token"

VILLAGE = Village(
    name="Sumberejo",
    district="Merakurak",
    regency="Kabupaten Tuban",
    province="Jawa Timur",
    address="Jl. Raya Sumberejo No. 1, Merakurak, Tuban 62355",
    head_name="Ahmad Fauzi",
    code="35.23.01.2001",
)

RESIDENTS: list[dict[str, Any]] = [
    {
        "nik": "3523014708900001",
        "name": "Siti Rahayu",
        "card_uid": "04A3B2C1D0E1F2",
        "pin": "123456",
        "birth_place": "Tuban",
        "birth_date": "1990-08-07",
        "gender": "Perempuan",
        "religion": "Islam",
        "occupation": "Pedagang",
        "marital_status": "Kawin",
        "address": "Dusun Krajan RT 002 RW 001, Desa Sumberejo",
    },
    {
        "nik": "3523011203850002",
        "name": "Budi Santoso",
        "card_uid": "5A3C9E01",
        "pin": "654321",
        "birth_place": "Tuban",
        "birth_date": "1985-03-12",
        "gender": "Laki-laki",
        "religion": "Islam",
        "occupation": "Petani",
        "marital_status": "Kawin",
        "address": "Dusun Ngampel RT 001 RW 003, Desa Sumberejo",
    },
    {
        "nik": "3523012511000003",
        "name": "Wahyu Hidayat",
        "card_uid": None,
        "pin": "111222",
        "birth_place": "Bojonegoro",
        "birth_date": "2000-11-25",
        "gender": "Laki-laki",
        "religion": "Kristen",
        "occupation": "Pelajar/Mahasiswa",
        "marital_status": "Belum Kawin",
        "address": "Dusun Krajan RT 004 RW 002, Desa Sumberejo",
    },
]


def _t(id_text: str, en_text: str) -> Text:
    return Text(id=id_text, en=en_text)


KEPERLUAN = FormField(
    name="keperluan",
    label=_t("Keperluan", "Purpose"),
    kind=FieldKind.TEXT,
    min_length=3,
    max_length=120,
    help=_t("Untuk apa surat ini digunakan", "What the letter is for"),
)

SERVICES = [
    Service(
        code="SKD",
        name=_t("Surat Keterangan Domisili", "Certificate of Domicile"),
        description=_t("Keterangan tempat tinggal di desa", "Proof of residence in the village"),
        estimated_minutes=5,
        fields=[
            KEPERLUAN,
            FormField(
                name="alamat_domisili",
                label=_t("Alamat domisili", "Address of residence"),
                kind=FieldKind.TEXTAREA,
                prefill="address",
                max_length=200,
            ),
        ],
    ),
    Service(
        code="SKTM",
        name=_t("Surat Keterangan Tidak Mampu", "Certificate of Low Income"),
        description=_t(
            "Untuk keringanan biaya sekolah, kesehatan, bantuan", "For fee waivers and aid"
        ),
        estimated_minutes=15,
        fields=[
            FormField(
                name="keperluan",
                label=_t("Keperluan", "Purpose"),
                kind=FieldKind.CHOICE,
                choices=[
                    Choice(value="pendidikan", label=_t("Pendidikan", "Education")),
                    Choice(value="kesehatan", label=_t("Kesehatan", "Health care")),
                    Choice(value="bantuan_sosial", label=_t("Bantuan sosial", "Social aid")),
                    Choice(value="lainnya", label=_t("Lainnya", "Other")),
                ],
            ),
            FormField(
                name="penghasilan_bulanan",
                label=_t("Penghasilan per bulan (Rp)", "Monthly income (Rp)"),
                kind=FieldKind.NUMBER,
                max_length=12,
            ),
            FormField(
                name="jumlah_tanggungan",
                label=_t("Jumlah tanggungan", "Number of dependants"),
                kind=FieldKind.NUMBER,
                max_length=2,
            ),
        ],
    ),
    Service(
        code="SKCK",
        name=_t("Surat Pengantar SKCK", "Police Clearance Cover Letter"),
        description=_t("Pengantar ke Polsek untuk SKCK", "Cover letter for a police clearance"),
        estimated_minutes=10,
        fields=[KEPERLUAN],
    ),
    Service(
        code="SKU",
        name=_t("Surat Keterangan Usaha", "Business Certificate"),
        description=_t("Keterangan memiliki usaha di desa", "Proof of a business in the village"),
        estimated_minutes=10,
        fields=[
            FormField(
                name="nama_usaha",
                label=_t("Nama usaha", "Business name"),
                kind=FieldKind.TEXT,
                max_length=80,
            ),
            FormField(
                name="jenis_usaha",
                label=_t("Jenis usaha", "Kind of business"),
                kind=FieldKind.TEXT,
                max_length=80,
            ),
            FormField(
                name="alamat_usaha",
                label=_t("Alamat usaha", "Business address"),
                kind=FieldKind.TEXTAREA,
                prefill="address",
                max_length=200,
            ),
            FormField(
                name="mulai_usaha",
                label=_t("Mulai usaha (tttt-bb-hh)", "Started (yyyy-mm-dd)"),
                kind=FieldKind.DATE,
            ),
        ],
    ),
]

# The attract screen's notices and the office's desk hours (the kiosk itself never closes).
ANNOUNCEMENTS = [
    Text(
        id="Pendaftaran bantuan pangan dibuka sampai 15 Desember di balai desa.",
        en="Food aid registration is open until 15 December at the village hall.",
    ),
    Text(
        id="Surat yang sudah ditandatangani dapat dicetak ulang di kios ini dengan struk Anda.",
        en="Signed letters can be printed again at this kiosk with your receipt.",
    ),
]
OPENING_HOURS = [
    OpeningHours(days=Text(id="Senin - Kamis", en="Monday - Thursday"), hours="08.00 - 15.00 WIB"),
    OpeningHours(days=Text(id="Jumat", en="Friday"), hours="08.00 - 11.00 WIB"),
]

LETTER_CODES = {"SKD": "474.4", "SKTM": "401", "SKCK": "331", "SKU": "503"}


LOGO_FILE = Path(__file__).with_name("demo_logo.png")  # made up for the demo village


@functools.cache
def logo_png() -> str:
    """The demo village's emblem, as the kiosk configuration carries it (base64 PNG)."""
    return base64.b64encode(LOGO_FILE.read_bytes()).decode("ascii")
