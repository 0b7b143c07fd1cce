"""Render a Receipt to ESC/POS bytes with python-escpos's `Dummy` printer.

The layout is plain monospaced text for 80 mm paper: 48 columns in font A on most
printers, 42 on some; 32 for 58 mm paper. Only the title and the tracking code are big.
The QR code is the printer's own (`native=True`): a few bytes instead of a raster
image, and sharp at any size. python-escpos is imported only when rendering.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Literal

from printer.receipt import Receipt

CutMode = Literal["full", "partial"]


@dataclass(frozen=True)
class ReceiptLayout:
    columns: int = 48
    qr_size: int = 6  # dots per QR module, 1..16
    cut: CutMode = "partial"
    profile: str | None = None  # a python-escpos capability profile, e.g. "TM-T88V"

    def __post_init__(self) -> None:
        if not 24 <= self.columns <= 80:
            raise ValueError(f"columns must be 24..80, not {self.columns}")
        if not 1 <= self.qr_size <= 16:
            raise ValueError(f"qr_size must be 1..16, not {self.qr_size}")


def render_receipt(receipt: Receipt, layout: ReceiptLayout | None = None) -> bytes:
    layout = layout or ReceiptLayout()
    from escpos.printer import Dummy

    printer = Dummy(profile=layout.profile)
    printer.hw("INIT")  # ESC @ first: a known state and the default code page
    _header(printer, receipt, layout.columns)
    _rows(printer, receipt, layout.columns)
    _tracking(printer, receipt, layout)
    _footer(printer, receipt, layout.columns)
    printer.cut(mode="PART" if layout.cut == "partial" else "FULL")
    return bytes(printer.output)


def _header(printer: Any, receipt: Receipt, columns: int) -> None:
    printer.set(align="center")
    for line in receipt.header:
        _lines(printer, wrap(line, columns))
    if receipt.title:
        printer.set(bold=True, double_width=True, double_height=True)
        _lines(printer, wrap(receipt.title, columns // 2))
        printer.set(bold=False, normal_textsize=True)
    printer.set(align="left")
    printer.textln("-" * columns)


def _rows(printer: Any, receipt: Receipt, columns: int) -> None:
    if not receipt.rows:
        return
    label_width = min(max(len(label) for label, _ in receipt.rows), columns // 3)
    for label, value in receipt.rows:
        _lines(printer, row_lines(label, value, columns, label_width))
    printer.textln("-" * columns)


def _tracking(printer: Any, receipt: Receipt, layout: ReceiptLayout) -> None:
    from escpos.constants import QR_ECLEVEL_M

    printer.set(align="center")
    printer.textln(receipt.tracking_label)
    fits_double_width = len(receipt.tracking_code) <= layout.columns // 2
    printer.set(bold=True, double_width=fits_double_width, double_height=True)
    printer.textln(receipt.tracking_code)
    printer.set(bold=False, normal_textsize=True)
    if receipt.qr_payload:
        printer.ln()
        printer.qr(receipt.qr_payload, native=True, size=layout.qr_size, ec=QR_ECLEVEL_M)
        printer.ln()


def _footer(printer: Any, receipt: Receipt, columns: int) -> None:
    printer.set(align="center")
    for line in receipt.footer:
        _lines(printer, wrap(line, columns))
    printer.set(align="left")


def _lines(printer: Any, lines: list[str]) -> None:
    for line in lines:
        printer.textln(line)


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
