"""The text rule for form values: what it accepts prints on the letter with real glyphs,
what it refuses is named, and what it changes keeps its meaning."""

from __future__ import annotations

import codecs
import shutil
import subprocess
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apm_api.form_text import (
    LETTER_CHARSET,
    TextProblemKind,
    normalise_text,
    text_problem,
)
from apm_api.models import FieldKind, FormField, SubmitRequest, Text
from apm_server.letter import BOLD, FONT, ITALIC

LETTER_FONTS = (FONT, BOLD, ITALIC)
NO_SURROGATES = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdffonts")), reason="needs poppler-utils"
)


def _font(name: str):
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.getFont(name)


def drawn_with_own_glyph(char: str, font_name: str) -> bool:
    """True if reportlab draws `char` in this font with a glyph of the font's own.

    Otherwise reportlab takes it from a substitution font (Symbol, ZapfDingbats) or draws
    ZapfDingbats' black box: the "black boxes" a signed letter must never show.
    """
    from reportlab.pdfbase import pdfmetrics

    font = _font(font_name)
    pieces = pdfmetrics.unicode2T1(char, [font, *font.substitutionFonts])
    if len(pieces) != 1:
        return False
    used, data = pieces[0]
    if used is not font or len(data) != 1:
        return False
    glyph = font.encoding.vector[data[0]]
    return glyph is not None and font.face.glyphWidths.get(glyph, 0) > 0


def printable_by_letter(text: str) -> bool:
    return all(drawn_with_own_glyph(char, name) for char in text for name in LETTER_FONTS)


def encodable_in_letter_encoding() -> set[str]:
    """Every code point reportlab's encoding of the letter fonts can encode at all."""
    encodings = {_font(name).encName for name in LETTER_FONTS}
    assert len(encodings) == 1, encodings
    everything = "".join(chr(cp) for cp in NO_SURROGATES)
    failed: list[tuple[int, int]] = []

    def record(error: UnicodeEncodeError) -> tuple[str, int]:
        failed.append((error.start, error.end))
        return "", error.end

    codecs.register_error("test-form-text-record", record)
    everything.encode(encodings.pop(), errors="test-form-text-record")
    refused = set()
    for start, end in failed:
        refused.update(range(start, end))
    return {everything[index] for index in range(len(everything)) if index not in refused}


def accepted(text: str) -> str | None:
    """The text as the rule passes it on, or None if the rule refuses it."""
    normalised = normalise_text(text)
    return None if text_problem(normalised) else normalised


# --- the allowed set is what the letter's fonts really draw -------------------------------------


def test_the_charset_is_exactly_what_the_letter_fonts_draw_with_their_own_glyphs():
    drawn = {
        char
        for char in encodable_in_letter_encoding()
        if unicodedata.category(char) != "Cc" and printable_by_letter(char)
    }
    assert drawn == LETTER_CHARSET
    assert len(LETTER_CHARSET) == 218
    # And what reportlab would draw from Symbol or as a black box is outside it.
    assert not printable_by_letter("α")
    assert not printable_by_letter("😀")


# Every script, symbol and emoji is in planes 0 and 1; above them, CJK ideographs, tags,
# variation selectors and private use (one of each is in the examples below). Scanning all
# 1.1 million code points through the rule would take 15 s.
SCANNED = [cp for cp in [*range(0x20000), *range(0xE0000, 0xE0200)] if not 0xD800 <= cp <= 0xDFFF]


@pytest.mark.parametrize("high", ["\U00020000", "\U0002f800", "\U000e0041", "\U000f0000"])
def test_characters_above_plane_one_are_refused(high: str):
    assert accepted(f"a{high}b") is None


def test_every_single_character_the_rule_accepts_prints_with_real_glyphs():
    for cp in SCANNED:
        passed = accepted(f"a{chr(cp)}b")
        if passed is not None:
            assert printable_by_letter(passed), f"U+{cp:04X} -> {passed!r}"


interesting = st.sampled_from(
    sorted(LETTER_CHARSET)
    + list("‘’‚“”„–—…\u00a0\u2009\u202f\u3000\u00ad\u200b\ufe0f\u0301\u0308")
    + list("ＡＺａｚ０９．，ﬁﬂ①⑴𝐀𝑥ǆ−‐⁄ệđıα中ع😀❤\x07\x1b\u202e\u2028\t\n\r")
)
texts = st.one_of(st.text(), st.text(alphabet=interesting, max_size=60))


@settings(max_examples=400, deadline=None)
@given(texts)
@example("“Jl. Raya” No. 5 – Blok A…")
@example("Ｊｌ．　Ｒａｙａ")
@example("caf\u0065\ufe0f\u0301")
def test_whatever_the_rule_accepts_prints_with_real_glyphs_in_every_letter_font(text: str):
    normalised = normalise_text(text)
    problem = text_problem(normalised)
    assert (problem is None) == printable_by_letter(normalised), repr(normalised)
    assert normalise_text(normalised) == normalised  # normalising again changes nothing


@needs_poppler
def test_a_letter_with_every_accepted_character_uses_only_its_own_fonts(tmp_path: Path):
    every = "".join(sorted(c for c in LETTER_CHARSET if accepted(f"a{c}b") == f"a{c}b"))
    assert len(every) == 207  # 218 less the look-alikes and the invisible soft hyphen
    fonts, text = _render_purpose(every, tmp_path / "every.pdf")
    assert fonts == {"Helvetica", "Helvetica-Bold", "Helvetica-Oblique"}
    assert "".join(every.split()) in "".join(text.split())
    # The check can fail: the same letter with an emoji typed in falls back to a black box.
    fonts, _ = _render_purpose("Melamar kerja 😀", tmp_path / "emoji.pdf")
    assert "ZapfDingbats" in fonts


def _render_purpose(purpose: str, path: Path) -> tuple[set[str], str]:
    from apm_server import demo_data
    from apm_server.letter import LetterContent, render_letter

    content = LetterContent(
        village=demo_data.VILLAGE,
        title="Surat Keterangan Domisili",
        number="474.4/007/35.23.01.2001/XI/2026",
        resident={"name": "Budi Santoso", "nik": "3523011203850002"},
        paragraph="Orang tersebut di atas adalah benar warga Desa Sumberejo.",
        purpose=purpose,
        issued=datetime(2026, 11, 23, 9, 30),
        verify_url="http://127.0.0.1:8080/verify/req-1?code=231126-001",
    )
    path.write_bytes(render_letter(content))
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    fonts = {line.split()[0] for line in listing.splitlines()[2:] if line.strip()}
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return fonts, text


# --- normalisation keeps the meaning ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("“Jl. Raya”", '"Jl. Raya"'),
        ("Jum’at ‘pagi’", "Jum'at 'pagi'"),
        ("„Warung“ Bu Siti", '"Warung" Bu Siti'),
        ("RT 002 – RW 001", "RT 002 - RW 001"),
        ("1990—2000", "1990-2000"),
        ("suhu −5", "suhu -5"),
        ("dan lain-lain…", "dan lain-lain..."),
        ("  Dusun\u00a0Krajan \u2009 RT\u202f002\n\tRW 001  ", "Dusun Krajan RT 002 RW 001"),
        ("Jl.\u3000Raya", "Jl. Raya"),
        ("Ｊｌ． Ｒａｙａ Ｎｏ． １２", "Jl. Raya No. 12"),
        ("ﬁlm ﬂora", "film flora"),
        ("Sura\u00adbaya", "Surabaya"),
        ("Ke\u200brja", "Kerja"),
        ("©\ufe0f 2026", "© 2026"),
        ("Jose\u0301", "José"),  # decomposed accent composed (NFC)
        ("luas 25 m² dan ½ bagian", "luas 25 m² dan ½ bagian"),  # drawn as they are: kept
        ("1⁄3", "1/3"),
    ],
)
def test_normalisation_keeps_the_meaning(typed: str, printed: str):
    assert accepted(typed) == printed


@pytest.mark.parametrize(
    "name",
    ["Siti Rahayu", "José Ramos-Horta", "Nuñez", "Müller", "Zoë Françoise", "Ñoman Ägus", "Ø"],
)
def test_latin_names_with_accents_the_font_has_stay_as_typed(name: str):
    assert accepted(name) == name


# --- refusals name the character and say what to do -----------------------------------------


emoji = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF, categories=["So"])
cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
arabic = st.characters(min_codepoint=0x0620, max_codepoint=0x064A, categories=["Lo"])
other_scripts = st.sampled_from("αβΩЖяשאกขअ한ệđıŁ")
controls = st.characters(categories=["Cc"]).filter(lambda c: c not in "\t\n\v\f\r\x85")


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(alphabet=st.sampled_from("abc ABC 123.,"), max_size=10),
    bad=st.one_of(emoji, cjk, arabic, other_scripts),
)
def test_emoji_and_other_scripts_are_refused_naming_the_character(before: str, bad: str):
    problem = text_problem(normalise_text(f"{before}{bad} kerja"))
    assert problem is not None
    assert problem.kind is TextProblemKind.NOT_PRINTABLE
    assert problem.characters == (bad,)
    code = f"U+{ord(bad):04X}"
    assert f'"{bad}" ({code})' in problem.id
    assert f'"{bad}" ({code})' in problem.en
    assert "Gunakan huruf Latin biasa" in problem.id
    assert "Use plain Latin letters" in problem.en


@settings(max_examples=100, deadline=None)
@given(control=controls)
def test_control_characters_are_refused_by_code_point_alone(control: str):
    problem = text_problem(normalise_text(f"Melamar{control}kerja"))
    assert problem is not None
    assert problem.kind is TextProblemKind.CONTROL
    code = f"U+{ord(control):04X}"
    assert f"({code})" in problem.id
    assert control not in problem.id + problem.en  # an invisible character is never echoed
    assert "ketik ulang" in problem.id
    assert "type it again" in problem.en


def test_a_bidirectional_override_is_a_control_character():
    problem = text_problem(normalise_text("Melamar \u202ekerja"))
    assert problem is not None
    assert problem.kind is TextProblemKind.CONTROL
    assert "U+202E" in problem.id


def test_a_combining_mark_the_font_lacks_is_named_by_code_point_only():
    problem = text_problem(normalise_text("q\u0303"))  # no precomposed q with tilde
    assert problem is not None
    assert "U+0303" in problem.id
    assert "\u0303" not in problem.id


def test_several_characters_are_named_at_most_three_times():
    problem = text_problem(normalise_text("😀 中 ع α"))
    assert problem is not None
    assert problem.characters == ("😀", "中", "ع", "α")
    assert "U+1F600" in problem.id and "U+4E2D" in problem.id and "U+0639" in problem.id
    assert "U+03B1" not in problem.id
    assert problem.id.count(", ...") == 1
    assert problem.en.startswith("The characters ")


# --- the form field and the request body use it ------------------------------------------------


def test_a_form_field_refuses_an_emoji_in_both_languages():
    field = FormField(name="keperluan", label=Text(id="Keperluan"), kind=FieldKind.TEXT)
    problem = field.problem("Melamar kerja 😀")
    assert problem is not None
    assert '"😀" (U+1F600)' in problem.id
    assert problem.en is not None and '"😀" (U+1F600)' in problem.en
    assert field.problem("“Melamar” kerja") is None


def test_a_form_field_counts_and_checks_the_normalised_value():
    field = FormField(
        name="keperluan", label=Text(id="Keperluan"), kind=FieldKind.TEXT, min_length=3
    )
    assert field.problem("  a\u00a0\u200b ") is not None  # "a": too short once normalised
    assert field.problem("\u200b\u00a0") == field.problem("")  # only invisible: empty
    number = FormField(name="jumlah", label=Text(id="Jumlah"), kind=FieldKind.NUMBER)
    assert number.problem("１２") is None  # fullwidth digits are digits
    for not_a_number in ("²", "12³", "١٢"):  # str.isdigit() says yes to these
        problem = number.problem(not_a_number)
        assert problem is not None, not_a_number
    assert number.problem("²") is not None and number.problem("²").id == "Hanya angka."


def test_a_request_body_carries_the_text_as_the_letter_prints_it():
    body = SubmitRequest(
        service_code="SKD",
        fields={
            "keperluan": " “Melamar”\u00a0kerja – PT Maju… ",
            "alamat_domisili": "Dusun Krajan",
        },
    )
    assert body.fields == {
        "keperluan": '"Melamar" kerja - PT Maju...',
        "alamat_domisili": "Dusun Krajan",
    }
    # What the letter cannot print is carried as it is, for the form check to name.
    assert SubmitRequest(service_code="SKD", fields={"keperluan": "a 😀"}).fields == {
        "keperluan": "a 😀"
    }
