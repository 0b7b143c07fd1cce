"""Checks of a NIK (Nomor Induk Kependudukan) as a citizen types it, with messages that
say what is wrong.

A NIK has 16 digits: PP KK CC DDMMYY SSSS
- PP province, KK regency or city, CC district (kecamatan): the region codes of the
  Ministry of Home Affairs (Kemendagri) where the NIK was issued;
- DDMMYY the date of birth, with 40 added to the day for women (a woman born on the 7th
  has 47);
- SSSS a serial number, from 0001.

These checks catch typing mistakes before anything is sent; they cannot tell whether a
NIK was really issued (only Dukcapil knows). Pure Python, no third-party imports: the
kiosk and the reference server both use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apm_api.models import Text

NIK_LENGTH = 16
WOMEN_DAY_OFFSET = 40

# Province codes (kode wilayah provinsi) of Kemendagri: Permendagri No. 72 Tahun 2019
# (34 provinces, 11..92) and Kepmendagri No. 100.1.1-6117 Tahun 2022 on region codes,
# which adds the provinces created in 2022 by UU 14, 15, 16 and 29 Tahun 2022 (93..96).
# There is no 97. A NIK is kept for life (UU 24/2013), so people in a region split off
# later keep its old code, which stays in this list: no province code has been withdrawn
# since NIKs were issued. (A readable copy of the decrees' codes: the cahyadsn/wilayah
# data set on GitHub, table `wilayah`, the codes of length 2.)
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

# What people type between the groups of digits ("3523 01 470890 0001", "35.23.01...").
_SEPARATORS = re.compile(r"[\s.\-]+")
_ASCII_DIGITS = frozenset("0123456789")


class NikProblemKind(StrEnum):
    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    LENGTH = "length"
    PROVINCE = "province"
    REGENCY = "regency"
    DISTRICT = "district"
    BIRTH_DATE = "birth_date"
    SERIAL = "serial"


@dataclass(frozen=True)
class NikProblem:
    """What is wrong with a typed NIK: `id` in Bahasa Indonesia, `en` in English, made
    from `template` and `values` (so that `text` says it in any language)."""

    kind: NikProblemKind
    id: str
    en: str
    template: tuple[str, str] = ("", "")
    values: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> Text:
        """The message as a translatable phrase (apm_api.models.fill)."""
        from apm_api.models import fill, t  # models imports what imports this module

        return fill(t(*self.template), **dict(self.values))


def t(id_text: str, en_text: str) -> tuple[str, str]:
    """A message template (kiosk.flow.catalogue gathers every t(...) for translators)."""
    return id_text, en_text


def _problem(kind: NikProblemKind, template: tuple[str, str], **values: str) -> NikProblem:
    return NikProblem(
        kind,
        template[0].format(**values),
        template[1].format(**values),
        template,
        tuple(values.items()),
    )


NIK_EMPTY = t(
    "Ketik NIK Anda: 16 angka yang tertera di e-KTP.",
    "Type your NIK: the 16 digits printed on your e-KTP.",
)
NOT_A_DIGIT = t(
    'NIK hanya berisi angka 0-9; "{char}" bukan angka.',
    'A NIK has only the digits 0-9; "{char}" is not a digit.',
)
NOT_DIGITS = t("NIK hanya berisi angka 0-9.", "A NIK has only the digits 0-9.")
WRONG_LENGTH = t(
    "NIK harus {need} angka; Anda mengetik {typed}.", "A NIK has {need} digits; you typed {typed}."
)
UNKNOWN_PROVINCE = t(
    "Kode provinsi {province} (2 angka pertama NIK) tidak dikenal. Periksa NIK di e-KTP Anda.",
    "Province code {province} (the first 2 digits of the NIK) does not exist. "
    "Check the NIK on your e-KTP.",
)
REGENCY_ZERO = t(
    "Kode kabupaten/kota di NIK (angka ke-3 dan ke-4) tidak boleh 00. Periksa NIK di e-KTP Anda.",
    "The regency/city code in the NIK (digits 3 and 4) cannot be 00. Check the NIK on your e-KTP.",
)
DISTRICT_ZERO = t(
    "Kode kecamatan di NIK (angka ke-5 dan ke-6) tidak boleh 00. Periksa NIK di e-KTP Anda.",
    "The district code in the NIK (digits 5 and 6) cannot be 00. Check the NIK on your e-KTP.",
)
NO_SUCH_BIRTH_DATE = t(
    "Tanggal lahir di NIK ({typed}) tidak ada. Periksa angka ke-7 sampai ke-12 NIK Anda.",
    "The date of birth in the NIK ({typed}) does not exist. Check digits 7 to 12 of your NIK.",
)
NO_SUCH_BIRTH_DATE_WOMAN = t(
    "Tanggal lahir di NIK ({typed}, yaitu {as_woman} bagi perempuan) tidak ada. Periksa angka "
    "ke-7 sampai ke-12 NIK Anda.",
    "The date of birth in the NIK ({typed}, that is {as_woman} for a woman) does not exist. "
    "Check digits 7 to 12 of your NIK.",
)
SERIAL_ZERO = t(
    "Nomor urut di NIK (4 angka terakhir) tidak boleh 0000. Periksa NIK di e-KTP Anda.",
    "The serial number in the NIK (the last 4 digits) cannot be 0000. Check the NIK on your e-KTP.",
)


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


def normalize_nik(text: str) -> str:
    """The NIK without the spaces, dots and dashes people type between the groups."""
    return _SEPARATORS.sub("", text)


def check_nik(text: str, *, today: date | None = None) -> NikProblem | None:
    """What is wrong with `text` as a NIK, or None if it is a well-formed NIK.

    `today` decides the century of the birth year (a two-digit year that would put the
    birth in the future is 19xx); it defaults to the local date.
    """
    nik = normalize_nik(text)
    return (
        _shape_problem(nik)
        or _region_problem(nik)
        or _birth_date_problem(nik, today or date.today())
        or _serial_problem(nik)
    )


def nik_birth_date(text: str, *, today: date | None = None) -> date | None:
    """The date of birth a NIK carries (women's day already reduced by 40), or None if
    the NIK is not well formed."""
    if check_nik(text, today=today) is not None:
        return None
    nik = normalize_nik(text)
    return _birth_date(nik, today or date.today())


def nik_sex(text: str, *, today: date | None = None) -> Sex | None:
    """Female when the NIK's birth day has 40 added; None if the NIK is not well formed."""
    if check_nik(text, today=today) is not None:
        return None
    day = int(normalize_nik(text)[6:8])
    return Sex.FEMALE if day > WOMEN_DAY_OFFSET else Sex.MALE


# --- the checks, in the order a citizen would fix them ----------------------------------


def _shape_problem(nik: str) -> NikProblem | None:
    if not nik:
        return _problem(NikProblemKind.EMPTY, NIK_EMPTY)
    wrong = next((c for c in nik if c not in _ASCII_DIGITS), None)
    if wrong is not None:
        if wrong.isprintable():
            return _problem(NikProblemKind.NOT_DIGITS, NOT_A_DIGIT, char=wrong)
        return _problem(NikProblemKind.NOT_DIGITS, NOT_DIGITS)
    if len(nik) != NIK_LENGTH:
        return _problem(
            NikProblemKind.LENGTH, WRONG_LENGTH, need=str(NIK_LENGTH), typed=str(len(nik))
        )
    return None


def _region_problem(nik: str) -> NikProblem | None:
    province, regency, district = nik[0:2], nik[2:4], nik[4:6]
    if province not in PROVINCES:
        return _problem(NikProblemKind.PROVINCE, UNKNOWN_PROVINCE, province=province)
    if regency == "00":
        return _problem(NikProblemKind.REGENCY, REGENCY_ZERO)
    if district == "00":
        return _problem(NikProblemKind.DISTRICT, DISTRICT_ZERO)
    return None


def _birth_date_problem(nik: str, today: date) -> NikProblem | None:
    if _birth_date(nik, today) is not None:
        return None
    dd, mm, yy = nik[6:8], nik[8:10], nik[10:12]
    typed = f"{dd}-{mm}-{yy}"
    if int(dd) > WOMEN_DAY_OFFSET:
        as_woman = f"{int(dd) - WOMEN_DAY_OFFSET:02d}-{mm}-{yy}"
        return _problem(
            NikProblemKind.BIRTH_DATE, NO_SUCH_BIRTH_DATE_WOMAN, typed=typed, as_woman=as_woman
        )
    return _problem(NikProblemKind.BIRTH_DATE, NO_SUCH_BIRTH_DATE, typed=typed)


def _serial_problem(nik: str) -> NikProblem | None:
    if nik[12:16] == "0000":
        return _problem(NikProblemKind.SERIAL, SERIAL_ZERO)
    return None


def _birth_date(nik: str, today: date) -> date | None:
    """The date of birth of a 16-digit NIK, or None if that date does not exist."""
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > WOMEN_DAY_OFFSET:
        day -= WOMEN_DAY_OFFSET
    # Two digits of year: this century (20yy), unless that would be after today (19yy).
    century = today.year // 100 * 100
    if (century + yy, month, day) > (today.year, today.month, today.day):
        century -= 100
    year = century + yy
    try:
        return date(year, month, day)
    except ValueError:  # day 0 or 32+, month 0 or 13+, 29-02 outside leap years, 31-04 ...
        return None
