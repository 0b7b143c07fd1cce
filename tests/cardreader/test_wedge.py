"""The burst detector: a reader's keystrokes told apart from a person's, by their timing.
Timestamps are passed in: no sleeps, the same result on any machine."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardreader.base import CardPresented, normalize_uid
from cardreader.wedge import BurstDetector, CodeScanned, Verdict, WedgeTiming, mask, read_line

SITI = "04A3B2C1D0E1F2"
SITI_17_DIGITS = str(int.from_bytes(bytes.fromhex(SITI), "little"))
BUDI = "5A3C9E01"
BUDI_10_DIGITS = str(int.from_bytes(bytes.fromhex(BUDI), "little")).zfill(10)  # padded


def typed(detector: BurstDetector, text: str, start: float, gap: float) -> list[Verdict]:
    """`text` typed from `start`, one key every `gap` seconds, then Enter after one gap."""
    verdicts = [detector.key(char, start + i * gap) for i, char in enumerate(text)]
    verdicts.append(detector.enter(start + len(text) * gap))
    return verdicts


def passed_on(verdicts: list[Verdict], keys: str) -> str:
    """What reaches the focused field ("\n" for Enter), given the keys fed in order."""
    out = []
    for verdict, key in zip(verdicts, keys, strict=True):
        out.append(verdict.released)
        if not verdict.held:
            out.append(key)
    return "".join(out)


def test_a_reader_burst_is_held_back_entirely_and_recognised():
    detector = BurstDetector(max_gap_s=0.030, min_length=8)
    verdicts = typed(detector, SITI, start=100.0, gap=0.004)
    assert [v.burst for v in verdicts] == [None] * len(SITI) + [SITI]
    assert all(v.held for v in verdicts)  # not one key, not the Enter, reaches a field
    assert passed_on(verdicts, SITI + "\n") == ""
    assert detector.held == "" and detector.deadline is None


def test_a_person_typing_the_same_digits_gets_every_key_and_the_enter():
    detector = BurstDetector(max_gap_s=0.030, min_length=8)
    verdicts = typed(detector, BUDI_10_DIGITS, start=5.0, gap=0.180)
    assert all(v.burst is None for v in verdicts)
    assert passed_on(verdicts, BUDI_10_DIGITS + "\n") == BUDI_10_DIGITS + "\n"
    # Each key is held only until the next one shows it was a person: one key at a time.
    assert all(len(v.released) <= 1 for v in verdicts)


def test_a_held_key_is_released_when_its_time_is_up():
    detector = BurstDetector(max_gap_s=0.030)
    assert detector.key("7", 1.000).held
    assert detector.deadline == pytest.approx(1.030)
    assert detector.expire(1.029) == Verdict()  # could still be a reader: keep holding
    assert detector.expire(1.031) == Verdict(released="7")
    assert detector.held == "" and detector.deadline is None


def test_a_burst_after_a_person_typed_releases_their_keys_first():
    detector = BurstDetector(max_gap_s=0.030, min_length=8)
    person = [detector.key("1", 0.0), detector.key("2", 0.3)]
    reader = typed(detector, SITI, start=0.9, gap=0.005)
    assert person[1].released == "1"
    assert reader[0].released == "2"  # the person's last key, before the burst's first
    assert reader[-1].burst == SITI


def test_a_slow_gap_inside_a_run_splits_it():
    detector = BurstDetector(max_gap_s=0.030, min_length=8)
    first = typed(detector, "", start=0, gap=0)  # an Enter alone passes through
    assert first == [Verdict(released="", held=False)]
    head = [detector.key(c, 1.0 + i * 0.005) for i, c in enumerate("ABC")]
    tail = typed(detector, SITI, start=1.2, gap=0.005)
    assert all(v.held for v in head)
    assert tail[0].released == "ABC"  # stale: garbage for a grabbed reader, typing in Qt
    assert tail[-1].burst == SITI


def test_too_short_a_run_is_a_person_even_when_fast():
    detector = BurstDetector(max_gap_s=0.030, min_length=8)
    verdicts = typed(detector, "1234", start=0, gap=0.010)
    assert verdicts[-1] == Verdict(released="1234", held=False)
    assert passed_on(verdicts, "1234\n") == "1234\n"


def test_an_enter_that_comes_late_is_not_the_end_of_a_burst():
    detector = BurstDetector(max_gap_s=0.030, min_length=8)
    for i, char in enumerate(SITI):
        detector.key(char, i * 0.005)
    verdict = detector.enter(len(SITI) * 0.005 + 0.5)
    assert verdict == Verdict(released=SITI, held=False)


def test_other_keys_end_the_hold():
    detector = BurstDetector()
    detector.key("1", 0.0)
    detector.key("2", 0.001)
    assert detector.other_key() == Verdict(released="12", held=False)


def test_a_stuck_key_is_not_held_forever():
    detector = BurstDetector(max_gap_s=0.030, min_length=8, max_length=16)
    verdicts = [detector.key("x", i * 0.002) for i in range(17)]
    assert all(v.held for v in verdicts[:16])
    assert verdicts[16] == Verdict(released="x" * 17, held=False)
    assert detector.held == ""


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        BurstDetector(max_gap_s=0)
    with pytest.raises(ValueError):
        BurstDetector(min_length=10, max_length=9)
    with pytest.raises(ValueError):
        BurstDetector().key("12", 0.0)


def test_timing_settings_make_a_detector_and_refuse_nonsense():
    detector = WedgeTiming(max_gap_s=0.05, min_length=10).detector()
    assert (detector.max_gap_s, detector.min_length) == (0.05, 10)
    with pytest.raises(ValueError):
        WedgeTiming(max_gap_s=-1)
    with pytest.raises(ValueError):
        WedgeTiming(gap=1)  # type: ignore[call-arg]


@given(
    st.lists(
        st.tuples(st.sampled_from("0123456789ABCDEF\n"), st.floats(0.0, 0.5)),
        max_size=60,
    )
)
def test_keys_are_never_lost_reordered_or_invented(keys: list[tuple[str, float]]):
    detector = BurstDetector(max_gap_s=0.030, min_length=4, max_length=32)
    now, verdicts, typed_keys = 0.0, [], ""
    for key, gap in keys:
        now += gap
        verdicts.append(detector.enter(now) if key == "\n" else detector.key(key, now))
        typed_keys += key
    out = []
    for verdict, key in zip(verdicts, typed_keys, strict=True):
        out.append(verdict.released)
        if verdict.burst is not None:
            out.append(verdict.burst + "\n")
        elif not verdict.held:
            out.append(key)
    out.append(detector.flush())
    assert "".join(out) == typed_keys


@given(st.text("0123456789", min_size=8, max_size=20), st.floats(0.031, 2.0))
def test_a_person_never_makes_a_burst(digits: str, gap: float):
    detector = BurstDetector(max_gap_s=0.030, min_length=8)
    assert all(v.burst is None for v in typed(detector, digits, start=0, gap=gap))


# --- what a line means ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "uid"),
    [(SITI, SITI), (SITI.lower(), SITI), (SITI_17_DIGITS, SITI), ("04:A3:B2:C1:D0:E1:F2", SITI),
     (BUDI_10_DIGITS, BUDI), (BUDI, BUDI), (f"  {BUDI_10_DIGITS}\r", BUDI)],
)  # fmt: skip
def test_the_same_card_is_the_same_uid_whatever_the_reader_types(line: str, uid: str):
    assert read_line(line) == CardPresented(uid, uid_is_random=False)


def test_the_uid_format_can_be_forced():
    assert read_line("12345678901234", "hex") == CardPresented("12345678901234", False)
    assert read_line("12345678", "decimal") == CardPresented(
        normalize_uid("12345678", "decimal"), False
    )


def test_a_random_uid_is_flagged():
    assert read_line("08A1B2C3") == CardPresented("08A1B2C3", uid_is_random=True)


@pytest.mark.parametrize(
    "line",
    ["APM1:AMBIL:123456789012", "apm1:ambil:1234-5678-9012", "https://desa.example/x", "HELLO"],
)
def test_other_lines_are_scanned_codes(line: str):
    assert read_line(line) == CodeScanned(line)


def test_an_empty_line_is_nothing():
    assert read_line(" \r ") is None


def test_masked_text_never_shows_a_whole_uid_or_code():
    for secret in (SITI, SITI_17_DIGITS, "APM1:AMBIL:123456789012", "1234"):
        assert secret not in mask(secret)
        assert str(len(secret)) in mask(secret)
    assert "123456789012" not in repr(CodeScanned("APM1:AMBIL:123456789012"))
