"""The one rule for text a citizen types into a form: it must print on the signed letter.

The reference server sets the letter in Helvetica, reportlab's built-in Type 1 font, with
its WinAnsiEncoding: the printable characters of Windows code page 1252 (ASCII, Latin-1
and a few more such as Š, Œ, €). reportlab draws any other character from a substitution
font or, failing that, as a black box; a letter signed with black boxes cannot be fixed
afterwards. So every form value is

1. normalised, keeping its meaning: NFC; curly quotes to straight ones, dashes to "-",
   "…" to "...", every kind of space or line break to one space, invisible formatting
   (soft hyphen, zero-width space, emoji variation selectors) removed; a character the font
   lacks is replaced by its NFKC compatibility form when the font has all of that
   (fullwidth "Ａ" to "A", the ligature "ﬁ" to "fi", "①" to "1"); spaces collapsed and
   trimmed. Compatibility forms the font draws (², ½, µ) are kept as they are.
2. refused, with a message that names the character, if it still holds a control
   character or a character the font cannot draw (emoji, CJK, Arabic, Greek, letters with
   accents Latin-1 lacks such as "ệ"). Indonesian names with é, ñ, ü ... pass.

`LETTER_CHARSET` is derived from code page 1252 here because this package must not import
reportlab (the kiosk's flow imports it and may not reach an I/O library); a test checks it
character by character against reportlab's own encoding and glyph widths for the letter's
fonts. Pure Python, no third-party imports: the kiosk and the reference server both use it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


def _code_page_1252() -> frozenset[str]:
    """The printable characters of WinAnsiEncoding, which is code page 1252."""
    chars = set()
    for byte in range(0x100):
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
            continue
        if unicodedata.category(char) != "Cc":
            chars.add(char)
    return frozenset(chars)


# Every character the letter's fonts (Helvetica, Helvetica-Bold, Helvetica-Oblique) draw
# with a glyph of their own: 218 characters.
LETTER_CHARSET: frozenset[str] = _code_page_1252()

# Look-alikes replaced whatever the font has: one spelling of a quote, a dash, an
# ellipsis on every letter, receipt and search, whichever keyboard typed it.
_LOOK_ALIKES: dict[str, str] = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02b9", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u02ba", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b", "-"),
    "\u2026": "...",  # horizontal ellipsis
    "\u2044": "/",  # fraction slash, as NFKC leaves it in "1⁄3"
    "\u2215": "/",  # division slash
}

# Invisible formatting with no meaning on paper: soft hyphen (Helvetica would print it as
# a visible hyphen), zero-width space, non-joiner and joiner, word joiner, byte order mark,
# and the variation selectors that ask for text or emoji presentation.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f")

# Control characters that separate text: each stands for a space on the letter.
_BREAKS = frozenset("\t\n\v\f\r\x85")

# At most this many offending characters are named in one message.
_NAMED_AT_MOST = 3


def _is_space(char: str) -> bool:
    return char in _BREAKS or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def _mapped(char: str) -> str:
    """One character after the look-alike, space and invisible rules (no NFKC)."""
    if char in _LOOK_ALIKES:
        return _LOOK_ALIKES[char]
    if _is_space(char):
        return " "
    if char in _INVISIBLE:
        return ""
    return char


def _fitted(char: str) -> str:
    """`char` as the letter can print it, or `char` itself if it cannot (refused later)."""
    mapped = _mapped(char)
    if mapped != char or char in LETTER_CHARSET:
        return mapped
    compatible = "".join(_mapped(part) for part in unicodedata.normalize("NFKC", char))
    if compatible and all(part in LETTER_CHARSET for part in compatible):
        return compatible
    return char


def normalise_text(value: str) -> str:
    """`value` as the letter will print it: look-alikes replaced, spaces collapsed, trimmed.

    Never refuses anything: what the font still cannot draw stays, for `text_problem` to
    name. Normalising twice gives the same text as normalising once.
    """
    fitted = "".join(_fitted(char) for char in unicodedata.normalize("NFC", value))
    # Again: removing an invisible character can bring a letter and its accent together.
    composed = unicodedata.normalize("NFC", fitted)
    return " ".join(word for word in composed.split(" ") if word)


class TextProblemKind(StrEnum):
    CONTROL = "control"  # a control or invisible format character
    NOT_PRINTABLE = "not_printable"  # a character the letter's font cannot draw


@dataclass(frozen=True)
class TextProblem:
    """What is wrong with a form value: `id` in Bahasa Indonesia, `en` in English, made
    from `template` and `values` (apm_api.models.FormField.problem makes it a phrase
    that says it in any language)."""

    kind: TextProblemKind
    id: str
    en: str
    characters: tuple[str, ...]  # the offending characters, in order, each once
    template: tuple[str, str] = ("", "")
    values: tuple[tuple[str, str], ...] = ()


def t(id_text: str, en_text: str) -> tuple[str, str]:
    """A message template (kiosk.flow.catalogue gathers every t(...) for translators)."""
    return id_text, en_text


CONTROL_ONE = t(
    "Isian berisi karakter kontrol yang tidak terlihat ({names}). Hapus isian ini lalu ketik "
    "ulang.",
    "The text contains an invisible control character ({names}). Clear this field and type "
    "it again.",
)
CONTROL_MANY = t(
    "Isian berisi karakter kontrol yang tidak terlihat ({names}). Hapus isian ini lalu ketik "
    "ulang.",
    "The text contains invisible control characters ({names}). Clear this field and type it again.",
)
UNPRINTABLE_ONE = t(
    "Karakter {names} tidak dapat dicetak pada surat. Gunakan huruf Latin biasa, angka, dan "
    "tanda baca umum; hapus emoji dan huruf selain huruf Latin.",
    "The character {names} cannot be printed on the letter. Use plain Latin letters, digits "
    "and common punctuation; remove emoji and non-Latin script.",
)
UNPRINTABLE_MANY = t(
    "Karakter {names} tidak dapat dicetak pada surat. Gunakan huruf Latin biasa, angka, dan "
    "tanda baca umum; hapus emoji dan huruf selain huruf Latin.",
    "The characters {names} cannot be printed on the letter. Use plain Latin letters, digits "
    "and common punctuation; remove emoji and non-Latin script.",
)


def _problem(
    kind: TextProblemKind, template: tuple[str, str], characters: tuple[str, ...]
) -> TextProblem:
    names = _names(characters)
    return TextProblem(
        kind,
        template[0].format(names=names),
        template[1].format(names=names),
        characters,
        template,
        (("names", names),),
    )


def text_problem(value: str) -> TextProblem | None:
    """What in `value` (already normalised) the letter cannot print, or None.

    Control and invisible format characters are named first: the citizen cannot see them,
    so the message tells them to type the field again.
    """
    controls = _distinct(char for char in value if _is_control(char))
    if controls:
        one = len(controls) == 1
        return _problem(TextProblemKind.CONTROL, CONTROL_ONE if one else CONTROL_MANY, controls)
    unprintable = _distinct(char for char in value if char not in LETTER_CHARSET)
    if unprintable:
        one = len(unprintable) == 1
        template = UNPRINTABLE_ONE if one else UNPRINTABLE_MANY
        return _problem(TextProblemKind.NOT_PRINTABLE, template, unprintable)
    return None


def _is_control(char: str) -> bool:
    # Cc control, Cf format (bidirectional overrides and the like), Cs a lone surrogate.
    return unicodedata.category(char) in ("Cc", "Cf", "Cs")


def _distinct(chars: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chars))


def _names(chars: tuple[str, ...]) -> str:
    """'"😀" (U+1F600), U+0007': the code point always, the character when it shows."""
    named = ", ".join(_name(char) for char in chars[:_NAMED_AT_MOST])
    return named + ", ..." if len(chars) > _NAMED_AT_MOST else named


def _name(char: str) -> str:
    code = f"U+{ord(char):04X}"
    # Letters, digits, punctuation and symbols show on their own; a combining mark, a
    # control or a lone surrogate (which could not even be encoded in the answer) do not.
    if unicodedata.category(char)[0] in "LNPS":
        return f'"{char}" ({code})'
    return code
