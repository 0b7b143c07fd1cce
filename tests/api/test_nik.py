"""NIK checks: generated valid NIKs pass and read back; each kind of mistake is named."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from apm_api.nik import (
    PROVINCES,
    NikProblemKind,
    Sex,
    check_nik,
    nik_birth_date,
    nik_sex,
    normalize_nik,
)

TODAY = date(2026, 11, 23)
# Two-digit years reach back 100 years at most: a birth date in (TODAY - 100 y, TODAY].
OLDEST = date(TODAY.year - 99, 1, 1)


def two_digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:02d}")


provinces = st.sampled_from(sorted(PROVINCES))
unknown_provinces = two_digits(0, 99).filter(lambda code: code not in PROVINCES)
regencies = two_digits(1, 99)
districts = two_digits(1, 99)
serials = st.integers(1, 9999).map(lambda n: f"{n:04d}")
birth_dates = st.dates(min_value=OLDEST, max_value=TODAY)
sexes = st.sampled_from(Sex)


def make_nik(province: str, regency: str, district: str, born: date, sex: Sex, serial: str) -> str:
    day = born.day + (40 if sex is Sex.FEMALE else 0)
    return f"{province}{regency}{district}{day:02d}{born:%m%y}{serial}"


@st.composite
def valid_niks(draw: st.DrawFn) -> tuple[str, date, Sex]:
    born, sex = draw(birth_dates), draw(sexes)
    nik = make_nik(draw(provinces), draw(regencies), draw(districts), born, sex, draw(serials))
    return nik, born, sex


# --- valid NIKs ------------------------------------------------------------------------------


@given(valid_niks())
@example(("3523014708900001", date(1990, 8, 7), Sex.FEMALE))  # Siti, the demo resident
@example(("3523012902000001", date(2000, 2, 29), Sex.MALE))  # 2000 was a leap year
@example(("9601016902880001", date(1988, 2, 29), Sex.FEMALE))  # Papua Barat Daya, leap day
def test_a_valid_nik_is_accepted_and_reads_back(case: tuple[str, date, Sex]) -> None:
    nik, born, sex = case
    assert check_nik(nik, today=TODAY) is None
    assert nik_birth_date(nik, today=TODAY) == born
    assert nik_sex(nik, today=TODAY) is sex


@given(
    valid_niks(),
    st.lists(st.sampled_from([" ", ".", "-", "  "]), min_size=1, max_size=6),
    st.randoms(),
)
def test_spaces_dots_and_dashes_people_type_are_ignored(case, separators, rnd) -> None:
    nik, born, _ = case
    typed = list(nik)
    for sep in separators:
        typed.insert(rnd.randrange(len(typed) + 1), sep)
    text = "".join(typed)
    assert normalize_nik(text) == nik
    assert check_nik(text, today=TODAY) is None
    assert nik_birth_date(text, today=TODAY) == born


@st.composite
def born_within_a_century(draw: st.DrawFn) -> tuple[date, date]:
    """A `today`, and a birth date in (today - 100 years, today]: what DDMMYY can say."""
    today = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2098, 12, 31)))
    century_ago = date(today.year - 100, today.month, 28 if today.month == 2 else today.day)
    born = draw(st.dates(min_value=century_ago + timedelta(days=2), max_value=today))
    return today, born


@given(born_within_a_century(), sexes)
@example((date(2026, 11, 23), date(2026, 11, 23)), Sex.MALE)  # born today: this century
@example((date(2026, 11, 23), date(1926, 11, 24)), Sex.FEMALE)  # 25-11-26 is not yet 2026
def test_the_century_is_the_one_that_is_not_in_the_future(case, sex: Sex) -> None:
    today, born = case
    nik = make_nik("35", "23", "01", born, sex, "0001")
    assert nik_birth_date(nik, today=today) == born


# --- invalid NIKs ----------------------------------------------------------------------------


@given(st.text(alphabet="0123456789", min_size=1, max_size=40).filter(lambda s: len(s) != 16))
def test_a_wrong_number_of_digits_says_how_many_were_typed(digits: str) -> None:
    problem = check_nik(digits, today=TODAY)
    assert problem is not None and problem.kind is NikProblemKind.LENGTH
    assert problem.id == f"NIK harus 16 angka; Anda mengetik {len(digits)}."
    assert problem.en == f"A NIK has 16 digits; you typed {len(digits)}."


@given(
    valid_niks(),
    st.integers(0, 15),
    st.characters(blacklist_categories=("Cs",)).filter(
        lambda c: c not in "0123456789" and not c.isspace() and c not in ".-"
    ),
)
@example(("3523014708900001", date(1990, 8, 7), Sex.FEMALE), 3, "O")  # letter O for zero
@example(("3523014708900001", date(1990, 8, 7), Sex.FEMALE), 0, "٣")  # an Arabic-Indic 3
def test_anything_but_ascii_digits_is_refused(case, position: int, char: str) -> None:
    nik, _, _ = case
    typed = nik[:position] + char + nik[position + 1 :]
    problem = check_nik(typed, today=TODAY)
    assert problem is not None and problem.kind is NikProblemKind.NOT_DIGITS
    assert problem.id.startswith("NIK hanya berisi angka 0-9")


@given(valid_niks(), unknown_provinces)
def test_an_unknown_province_code_is_named(case, province: str) -> None:
    nik, _, _ = case
    problem = check_nik(province + nik[2:], today=TODAY)
    assert problem is not None and problem.kind is NikProblemKind.PROVINCE
    assert f"Kode provinsi {province} " in problem.id
    assert f"Province code {province} " in problem.en


@given(valid_niks(), st.sampled_from([(2, NikProblemKind.REGENCY), (4, NikProblemKind.DISTRICT)]))
def test_regency_or_district_00_is_refused(case, where) -> None:
    nik, _, _ = case
    start, kind = where
    problem = check_nik(nik[:start] + "00" + nik[start + 2 :], today=TODAY)
    assert problem is not None and problem.kind is kind


@st.composite
def impossible_day_month(draw: st.DrawFn) -> tuple[int, int]:
    """A (day, month) pair no calendar has, in any year: 30-02, 31-04, 00-05, 12-13, 35-01 ..."""
    kind = draw(st.sampled_from(["past_month_end", "day_zero", "day_32_to_40", "bad_month"]))
    if kind == "past_month_end":
        month = draw(st.sampled_from([2, 4, 6, 9, 11]))
        longest = 29 if month == 2 else 30
        return draw(st.integers(longest + 1, 31)), month
    if kind == "day_zero":
        return 0, draw(st.integers(1, 12))
    if kind == "day_32_to_40":
        return draw(st.integers(32, 40)), draw(st.integers(1, 12))
    return draw(st.integers(1, 28)), draw(st.sampled_from([0, *range(13, 100)]))


@given(valid_niks(), impossible_day_month(), st.integers(0, 99), sexes)
def test_a_date_of_birth_that_does_not_exist_is_refused(case, day_month, yy, sex) -> None:
    nik, _, _ = case
    day, month = day_month
    if sex is Sex.FEMALE and day <= 59:  # a woman's day is the date + 40 (day 72 means 32)
        day += 40
    digits = f"{day:02d}{month:02d}{yy:02d}"
    problem = check_nik(nik[:6] + digits + nik[12:], today=TODAY)
    assert problem is not None and problem.kind is NikProblemKind.BIRTH_DATE
    assert f"({digits[0:2]}-{digits[2:4]}-{digits[4:6]}" in problem.id


@given(valid_niks(), st.integers(0, 99).filter(lambda yy: yy % 4 != 0))
def test_29_february_outside_a_leap_year_is_refused(case, yy: int) -> None:
    nik, _, _ = case
    assert not calendar.isleap(1900 + yy) and not calendar.isleap(2000 + yy)
    problem = check_nik(nik[:6] + f"2902{yy:02d}" + nik[12:], today=TODAY)
    assert problem is not None and problem.kind is NikProblemKind.BIRTH_DATE


@given(valid_niks())
def test_serial_0000_is_refused(case) -> None:
    nik, _, _ = case
    problem = check_nik(nik[:12] + "0000", today=TODAY)
    assert problem is not None and problem.kind is NikProblemKind.SERIAL


# --- the exact messages -----------------------------------------------------------------------


def test_messages_say_what_is_wrong() -> None:
    def said(text: str) -> tuple[str, str]:
        problem = check_nik(text, today=TODAY)
        assert problem is not None, text
        return problem.id, problem.en

    assert said("") == (
        "Ketik NIK Anda: 16 angka yang tertera di e-KTP.",
        "Type your NIK: the 16 digits printed on your e-KTP.",
    )
    assert said("352301470890000") == (
        "NIK harus 16 angka; Anda mengetik 15.",
        "A NIK has 16 digits; you typed 15.",
    )
    assert said("3523 O147 0890 0001") == (
        'NIK hanya berisi angka 0-9; "O" bukan angka.',
        'A NIK has only the digits 0-9; "O" is not a digit.',
    )
    assert said("9923014708900001") == (
        "Kode provinsi 99 (2 angka pertama NIK) tidak dikenal. Periksa NIK di e-KTP Anda.",
        "Province code 99 (the first 2 digits of the NIK) does not exist. "
        "Check the NIK on your e-KTP.",
    )
    assert said("3500014708900001")[0] == (
        "Kode kabupaten/kota di NIK (angka ke-3 dan ke-4) tidak boleh 00. "
        "Periksa NIK di e-KTP Anda."
    )
    assert said("3523004708900001")[0] == (
        "Kode kecamatan di NIK (angka ke-5 dan ke-6) tidak boleh 00. Periksa NIK di e-KTP Anda."
    )
    assert said("3523013102900001") == (
        "Tanggal lahir di NIK (31-02-90) tidak ada. Periksa angka ke-7 sampai ke-12 NIK Anda.",
        "The date of birth in the NIK (31-02-90) does not exist. Check digits 7 to 12 of your NIK.",
    )
    assert said("3523017202900001") == (
        "Tanggal lahir di NIK (72-02-90, yaitu 32-02-90 bagi perempuan) tidak ada. "
        "Periksa angka ke-7 sampai ke-12 NIK Anda.",
        "The date of birth in the NIK (72-02-90, that is 32-02-90 for a woman) does not exist. "
        "Check digits 7 to 12 of your NIK.",
    )
    assert said("3523014708900000") == (
        "Nomor urut di NIK (4 angka terakhir) tidak boleh 0000. Periksa NIK di e-KTP Anda.",
        "The serial number in the NIK (the last 4 digits) cannot be 0000. "
        "Check the NIK on your e-KTP.",
    )


def test_the_first_mistake_is_the_one_named() -> None:
    # Wrong province and impossible date and serial 0000: the province comes first.
    problem = check_nik("9923013102900000", today=TODAY)
    assert problem is not None and problem.kind is NikProblemKind.PROVINCE


def test_province_codes_are_the_38_of_kemendagri() -> None:
    assert len(PROVINCES) == 38
    assert PROVINCES["11"] == "Aceh" and PROVINCES["35"] == "Jawa Timur"
    assert [c for c in PROVINCES if c.startswith("9")] == ["91", "92", "93", "94", "95", "96"]
    for absent in ("00", "10", "20", "22", "37", "54", "97", "99"):
        assert absent not in PROVINCES


def test_the_century_follows_today() -> None:
    nik = "3523012511260001"  # born 25-11-?26
    assert nik_birth_date(nik, today=date(2026, 11, 25)) == date(2026, 11, 25)
    assert nik_birth_date(nik, today=date(2026, 11, 24)) == date(1926, 11, 25)
    assert nik_birth_date("3523012902000001", today=TODAY) == date(2000, 2, 29)
    # 29-02-00 read before 29-02-2000 is 1900, which was not a leap year.
    assert check_nik("3523012902000001", today=date(2000, 2, 28)) is not None


def test_birth_date_and_sex_of_a_bad_nik_are_unknown() -> None:
    assert nik_birth_date("3523013102900001", today=TODAY) is None
    assert nik_sex("3523013102900001", today=TODAY) is None
    assert nik_sex("12345") is None


def test_the_default_today_is_the_real_date() -> None:
    # Born today, this century: valid now, whatever the date the tests run on.
    now = date.today()
    nik = f"352301{now:%d%m%y}0001"
    assert check_nik(nik) is None
    assert nik_birth_date(nik) == now
