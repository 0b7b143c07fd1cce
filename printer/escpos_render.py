"""Render a receipt's blocks (printer.receipt.lay_out) to ESC/POS bytes with
python-escpos's `Dummy` printer, which collects the bytes instead of sending them.

- Paper: 80 mm (48 columns in font A on most printers, 42 on some) or 58 mm (32).
- Text: one code page for the whole receipt, chosen from what the printer's profile
  offers (CP858 first: Latin-1 letters and the euro sign); a character the page lacks
  degrades to its closest ASCII form ("é" -> "e", "“" -> '"', "—" -> "-"), or to "?",
  so a name never prints as garbage and a receipt never fails on a character.
- QR code: the printer's own QR command where its profile says it has one (a few dozen
  bytes, sharp at any size), a raster image otherwise (a few kB); `qr_mode` can force
  either.

python-escpos is imported only when rendering: it costs ~0.1 s, which a kiosk must not
pay before its first screen.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from printer.receipt import Align, Block, Cut, Feed, Line, QrCode, Receipt, Rule, Size, lay_out
from printer.receipt import row_lines as row_lines  # re-exported: older callers use it here
from printer.receipt import wrap as wrap

CutMode = Literal["full", "partial"]
QrMode = Literal["auto", "native", "raster"]
PaperWidth = Literal[58, 80]

COLUMNS_FOR_PAPER = {80: 48, 58: 32}
# Code pages in order of preference for Indonesian (Latin) text, by python-escpos name.
DOTS_FOR_PAPER = {80: 576, 58: 384}  # printable width at 203 dpi
PREFERRED_CODE_PAGES = ("CP858", "CP850", "CP1252", "CP437")
# What a code page lacks most often in real text, and what to print instead.
PLAIN_FORMS = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "−": "-",
    "…": "...",
    "•": "*",
    "·": ".",
    "\u00a0": " ",
    "€": "EUR",
    "ß": "ss",
    "Æ": "AE",
    "æ": "ae",
    "Ø": "O",
    "ø": "o",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
}


@dataclass(frozen=True)
class ReceiptLayout:
    paper_width_mm: PaperWidth = 80
    columns: int | None = None  # None: 48 on 80 mm paper, 32 on 58 mm
    qr_size: int = 6  # dots per QR module, 1..16
    cut: CutMode = "partial"
    profile: str | None = None  # a python-escpos capability profile, e.g. "TM-T88V"
    qr_mode: QrMode = "auto"
    code_page: str | None = None  # e.g. "CP858"; None: the best the profile offers

    def __post_init__(self) -> None:
        if self.paper_width_mm not in COLUMNS_FOR_PAPER:
            raise ValueError(f"paper_width_mm must be 58 or 80, not {self.paper_width_mm}")
        if not 24 <= self.text_columns <= 80:
            raise ValueError(f"columns must be 24..80, not {self.columns}")
        if not 1 <= self.qr_size <= 16:
            raise ValueError(f"qr_size must be 1..16, not {self.qr_size}")

    @property
    def text_columns(self) -> int:
        return self.columns or COLUMNS_FOR_PAPER[self.paper_width_mm]


def render_receipt(receipt: Receipt, layout: ReceiptLayout | None = None) -> bytes:
    layout = layout or ReceiptLayout()
    blocks = lay_out(receipt, layout.text_columns, partial_cut=layout.cut == "partial")
    return render_blocks(blocks, layout)


def render_blocks(blocks: tuple[Block, ...] | list[Block], layout: ReceiptLayout) -> bytes:
    from escpos.printer import Dummy

    printer = Dummy(profile=layout.profile)
    _give_paper_width(printer, layout)
    encoding = choose_code_page(printer, layout.code_page)
    printer.hw("INIT")  # ESC @ first: a known state
    printer.charcode(encoding)  # ESC t n, sent with the first text
    styles = _Styles(printer)
    for block in blocks:
        _render_block(printer, styles, block, layout, encoding)
    return bytes(printer.output)


class _Styles:
    """Sends python-escpos's `set()` only when the style changes: each call costs about
    a dozen bytes, which on a 9600 baud line is a tenth of a second per line."""

    def __init__(self, printer: Any) -> None:
        self._printer = printer
        self._current: tuple[str, bool, bool] | None = None

    def use(self, align: Align, *, bold: bool = False, big: bool = False) -> None:
        wanted = (align.value, bold, big)
        if wanted == self._current:
            return
        self._printer.set(
            align=align.value,
            bold=bold,
            double_width=big,
            double_height=big,
            normal_textsize=not big,
        )
        self._current = wanted


def choose_code_page(printer: Any, wanted: str | None) -> str:
    """The code page to use: `wanted` if the profile has it, else the best it offers."""
    offered = {str(name).upper() for name in printer.profile.profile_data["codePages"].values()}
    if wanted is not None:
        if wanted.upper() not in offered:
            raise ValueError(
                f"code page {wanted!r} is not offered by profile "
                f"{printer.profile.profile_data.get('name', 'default')!r}; "
                f"offered: {', '.join(sorted(offered))}"
            )
        return wanted.upper()
    return next((page for page in PREFERRED_CODE_PAGES if page in offered), "CP437")


def uses_native_qr(printer: Any, mode: QrMode) -> bool:
    if mode == "auto":
        return bool(printer.profile.supports("qrCode"))
    return mode == "native"


def printable(text: str, encoding: str) -> str:
    """`text` with every character the code page lacks replaced by a plain form."""
    codec = _python_codec(encoding)
    return "".join(_printable_char(char, codec) for char in text)


def _printable_char(char: str, codec: str) -> str:
    if _encodes(char, codec):
        return char
    plain = PLAIN_FORMS.get(char)
    if plain is None:
        decomposed = unicodedata.normalize("NFKD", char)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    if plain and all(_encodes(c, codec) for c in plain):
        return plain
    return "?"


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return char.isprintable() or char == " "


def _python_codec(encoding: str) -> str:
    return encoding.lower().replace("_", "-")


def _give_paper_width(printer: Any, layout: ReceiptLayout) -> None:
    """Profiles that do not know their paper width (the default one) get the configured
    one; else python-escpos prints a warning on stdout with every raster image. The
    profile's data is shared by all printers of that profile: replace it, never mutate."""
    data = printer.profile.profile_data
    if isinstance(data.get("media", {}).get("width", {}).get("pixels"), int):
        return
    width = {"mm": layout.paper_width_mm, "pixels": DOTS_FOR_PAPER[layout.paper_width_mm]}
    printer.profile.profile_data = {**data, "media": {**data.get("media", {}), "width": width}}


def _render_block(
    printer: Any, styles: _Styles, block: Block, layout: ReceiptLayout, encoding: str
) -> None:
    if isinstance(block, Line):
        styles.use(block.align, bold=block.bold, big=block.size is Size.BIG)
        printer.textln(printable(block.text, encoding))
    elif isinstance(block, Rule):
        styles.use(Align.LEFT)
        printer.textln(block.char * layout.text_columns)
    elif isinstance(block, Feed):
        printer.ln(block.lines)
    elif isinstance(block, QrCode):
        styles.use(Align.CENTER)
        _qr(printer, block.payload, layout)
    elif isinstance(block, Cut):
        printer.cut(mode="PART" if block.partial else "FULL")


def _qr(printer: Any, payload: str, layout: ReceiptLayout) -> None:
    from escpos.constants import QR_ECLEVEL_M

    native = uses_native_qr(printer, layout.qr_mode)
    # A raster code is centred by the alignment above (ESC a applies to GS v 0), not by
    # python-escpos's `center`, which pads the image to the paper's width: twice the bytes.
    printer.qr(payload, native=native, size=layout.qr_size, ec=QR_ECLEVEL_M)
