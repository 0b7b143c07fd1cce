"""What goes on a receipt, as plain data (`Receipt`), and how it is laid out on a
thermal roll (`lay_out`: a small document of lines, rules, a QR code and a cut).

Both are pure Python: the ESC/POS renderer (printer.escpos_render) turns the blocks
into printer commands, and the A4 proof of submission (printer.pdf_pages) draws the same
`Receipt` on a page.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Receipt:
    """A receipt: header lines, a title, label/value rows, a big tracking code, a QR code
    and footer lines. All text is `str`; sequences are stored as tuples."""

    title: str
    tracking_code: str
    qr_payload: str = ""
    header: Sequence[str] = ()
    rows: Sequence[tuple[str, str]] = ()
    footer: Sequence[str] = ()
    tracking_label: str = "Kode pelacakan"

    def __post_init__(self) -> None:
        header, footer = tuple(self.header), tuple(self.footer)
        rows = tuple((label, value) for label, value in self.rows)
        for text in (self.title, self.tracking_code, self.qr_payload, self.tracking_label):
            _require_str(text)
        for text in (*header, *footer, *(part for row in rows for part in row)):
            _require_str(text)
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "footer", footer)


def _require_str(value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"receipt text must be str, not {type(value).__name__}: {value!r}")


# --- the layout: a receipt as a small document of blocks ----------------------------------
# A renderer turns blocks into a protocol (ESC/POS for thermal printers) and decides
# nothing about wording or wrapping; `lay_out` decides how a Receipt looks on paper of a
# given width in characters.


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


class Size(StrEnum):
    NORMAL = "normal"
    BIG = "big"  # double width and height: each character takes two columns


@dataclass(frozen=True)
class Line:
    """One printed line, already wrapped to fit (a BIG line: to half the columns)."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    size: Size = Size.NORMAL


@dataclass(frozen=True)
class Rule:
    """A line across the paper."""

    char: str = "-"


@dataclass(frozen=True)
class QrCode:
    payload: str


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = True


Block = Line | Rule | QrCode | Feed | Cut


def lay_out(receipt: Receipt, columns: int, *, partial_cut: bool = True) -> tuple[Block, ...]:
    """The blocks of `receipt` on paper `columns` characters wide (font A)."""
    if not 24 <= columns <= 80:
        raise ValueError(f"columns must be 24..80, not {columns}")
    blocks: list[Block] = []
    blocks += [Line(text, Align.CENTER) for line in receipt.header for text in wrap(line, columns)]
    if receipt.title:
        blocks += [
            Line(text, Align.CENTER, bold=True, size=Size.BIG)
            for text in wrap(receipt.title, columns // 2)
        ]
    blocks.append(Rule())
    if receipt.rows:
        label_width = min(max(len(label) for label, _ in receipt.rows), columns // 3)
        for label, value in receipt.rows:
            blocks += [Line(text) for text in row_lines(label, value, columns, label_width)]
        blocks.append(Rule())
    blocks.append(Line(receipt.tracking_label, Align.CENTER))
    big = len(receipt.tracking_code) <= columns // 2
    blocks += [
        Line(text, Align.CENTER, bold=True, size=Size.BIG if big else Size.NORMAL)
        for text in wrap(receipt.tracking_code, columns // 2 if big else columns)
    ]
    if receipt.qr_payload:
        blocks += [Feed(), QrCode(receipt.qr_payload), Feed()]
    blocks += [Line(text, Align.CENTER) for line in receipt.footer for text in wrap(line, columns)]
    blocks.append(Cut(partial=partial_cut))
    return tuple(blocks)


def wrap(text: str, width: int) -> list[str]:
    """Wrap to `width` columns; an empty string stays one empty line."""
    return textwrap.wrap(text, width) or [""]


def row_lines(label: str, value: str, columns: int, label_width: int) -> list[str]:
    """ "Label   : value" lines, the value wrapped and aligned under itself."""
    labels = wrap(label, label_width)
    values = wrap(value, columns - label_width - 3)
    lines = []
    for number in range(max(len(labels), len(values))):
        left = labels[number] if number < len(labels) else ""
        right = values[number] if number < len(values) else ""
        separator = " : " if number == 0 else "   "
        lines.append(f"{left:<{label_width}}{separator}{right}".rstrip())
    return lines
