"""The kiosk's own A4 PDFs: a technician's printer test page, and the printed proof of
submission for kiosks that have no receipt printer.

Both are drawn with reportlab, imported inside the functions only: importing it costs up to
0.4 s and the kiosk must start fast. Text is set in DejaVu Sans when the font is installed
(it has every letter Indonesian text uses), else in reportlab's built-in Helvetica; either
way, a character the font lacks is degraded to its base letters (NFKD) or "?", so the text
stays extractable and nothing crashes on unusual input. The PDFs are generated with
reportlab's `invariant` option: the same input gives the same bytes.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from itertools import zip_longest
from pathlib import Path
from typing import Any

from printer.receipt import Receipt

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
TIME_FORMAT = "%d-%m-%Y %H:%M"
TEST_PAGE_QR_PREFIX = "APM-KIOSK-TEST"
MM = 72 / 25.4  # points per millimetre (reportlab.lib.units.mm, without the import)
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM  # A4

# A table cell cannot split across pages, so a long value is cut into rows of at most
# this many characters: a value longer than a page still flows on to the next one.
ROW_CHUNK_CHARS = 400


def printed_time(now: datetime) -> str:
    """23-11-2026 06:28 WIB (the zone's name only when `now` has one)."""
    zone = now.tzname()
    text = now.strftime(TIME_FORMAT)
    return f"{text} {zone}" if zone else text


# ---------------------------------------------------------------------------- fonts


# Letters that NFKD leaves whole, with the base letter they degrade to.
_NO_DECOMPOSITION = {
    "Ł": "L",
    "ł": "l",
    "Ø": "O",
    "ø": "o",
    "Đ": "D",
    "đ": "d",
    "Ħ": "H",
    "ħ": "h",
    "ı": "i",
    "Ŧ": "T",
    "ŧ": "t",
    "Ɨ": "I",
    "ɨ": "i",
}


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    charset: frozenset[int] | None  # code points both fonts draw; None: Helvetica's cp1252

    def can_draw(self, char: str) -> bool:
        if self.charset is not None:
            return ord(char) in self.charset
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True

    def fit(self, text: str) -> str:
        """`text` with what the font cannot draw replaced: "ṭ" -> "t", "中" -> "?"."""
        out: list[str] = []
        for char in unicodedata.normalize("NFC", text):
            if char in "\t\n\r\v\f":
                out.append(" ")
            elif unicodedata.category(char) in ("Cc", "Cf"):
                continue  # control and format characters draw nothing
            elif self.can_draw(char):
                out.append(char)
            elif unicodedata.combining(char):
                continue  # an accent the font lacks: the letter alone is still readable
            else:
                out.append(self._degraded(char))
        return "".join(out)

    def _degraded(self, char: str) -> str:
        parts = _NO_DECOMPOSITION.get(char) or unicodedata.normalize("NFKD", char)
        base = "".join(
            part for part in parts if not unicodedata.combining(part) and self.can_draw(part)
        )
        return base or "?"


@lru_cache(maxsize=4)
def _fonts(font_dir: Path) -> _Fonts:
    """DejaVu Sans (and Bold) from `font_dir` if present, else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    regular_file, bold_file = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if not regular_file.is_file():
        return _Fonts("Helvetica", "Helvetica-Bold", None)
    try:
        # Names per folder: two folders never overwrite each other's registration.
        regular = TTFont(f"DejaVuSans:{font_dir}", str(regular_file))
        bold = (
            TTFont(f"DejaVuSans-Bold:{font_dir}", str(bold_file))
            if bold_file.is_file()
            else regular
        )
    except (TTFError, OSError):
        return _Fonts("Helvetica", "Helvetica-Bold", None)
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    # Only the Basic Multilingual Plane: reportlab's text map of a TrueType font (what text
    # extraction reads) is 16-bit, and a character beyond it comes back as another one.
    charset = frozenset(
        code
        for code in regular.face.charToGlyph
        if code <= 0xFFFF and code in bold.face.charToGlyph
    )
    return _Fonts(regular.fontName, bold.fontName, charset)


# ---------------------------------------------------------------------------- QR code


def _qr_drawing(payload: str, size: float) -> Any:
    """A reportlab Drawing of the QR code: the modules fill `size` points, with the quiet
    zone of four white modules around them that scanners need (so the drawing is bigger).
    The white background hides whatever is drawn under it (the test page's grid)."""
    import qrcode
    from reportlab.graphics.shapes import Drawing, Rect
    from reportlab.lib.colors import black, white

    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    quiet = 4 * cell
    total = size + 2 * quiet
    drawing = Drawing(total, total)
    drawing.hAlign = "CENTER"  # in a document's flow; the test page places it itself
    drawing.add(Rect(0, 0, total, total, fillColor=white, strokeColor=None))
    for row_number, row in enumerate(matrix):
        top = quiet + size - (row_number + 1) * cell
        for start, length in _dark_runs(row):
            # One rect per run of dark modules: fewer shapes, and no hairline gaps
            # between neighbouring modules when rendered.
            drawing.add(
                Rect(
                    quiet + start * cell,
                    top,
                    length * cell,
                    cell,
                    fillColor=black,
                    strokeColor=None,
                )
            )
    return drawing


def _dark_runs(row: Sequence[bool]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a QR matrix row."""
    runs: list[tuple[int, int]] = []
    start = None
    for column, dark in enumerate([*row, False]):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            runs.append((start, column - start))
            start = None
    return runs


# ---------------------------------------------------------------------------- test page


def test_page_pdf(
    printer_name: str,
    details: Sequence[tuple[str, str]],
    now: datetime,
    *,
    font_dir: Path = DEJAVU_DIR,
) -> bytes:
    """A4 test page for a technician: who printed it and when, a 10 mm grid, rulers
    along the top and left edges, corner marks 5 mm from the paper's edges and a QR code,
    so scaling, clipping and print quality can be checked with a ruler and a phone."""
    from reportlab.pdfgen import canvas

    details = _checked_details(details)
    if not isinstance(printer_name, str):
        raise TypeError(f"printer_name must be str, not {type(printer_name).__name__}")
    _require_datetime(now)
    fonts = _fonts(font_dir)
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    pdf.setTitle(fonts.fit(f"Halaman Uji Printer / Printer test page: {printer_name}"))
    pdf.setAuthor("APM Kiosk")
    _grid(pdf)
    _rulers(pdf, fonts)
    _corner_marks(pdf)
    _test_page_panel(pdf, fonts, printer_name, details, now)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


test_page_pdf.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _checked_details(details: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = list(details)
    for row in rows:
        if not (
            isinstance(row, tuple | list)
            and len(row) == 2
            and all(isinstance(part, str) for part in row)
        ):
            raise TypeError(f"details must be (label, value) pairs of str, not {row!r}")
    return [(label, value) for label, value in rows]


def _require_datetime(now: object) -> None:
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, not {type(now).__name__}")


# Test page geometry, in millimetres from the page's left and top edges.
GRID_LEFT, GRID_RIGHT, GRID_TOP, GRID_BOTTOM = 20, 190, 20, 280
RULER_AT = 12  # the rulers' base lines, from the top and left edges
CORNER_MARGIN, CORNER_ARM = 5, 8


def _from_top(mm_from_top: float) -> float:
    return PAGE_HEIGHT - mm_from_top * MM


def _grid(pdf: Any) -> None:
    pdf.saveState()
    pdf.setStrokeColorRGB(0.72, 0.78, 0.86)
    pdf.setLineWidth(0.4)
    for x in range(GRID_LEFT, GRID_RIGHT + 1, 10):
        pdf.line(x * MM, _from_top(GRID_TOP), x * MM, _from_top(GRID_BOTTOM))
    for y in range(GRID_TOP, GRID_BOTTOM + 1, 10):
        pdf.line(GRID_LEFT * MM, _from_top(y), GRID_RIGHT * MM, _from_top(y))
    pdf.restoreState()


def _rulers(pdf: Any, fonts: _Fonts) -> None:
    """Millimetre rulers measured from the paper's top-left corner: ticks every 1 mm,
    longer every 5 mm, longest and labelled every cm. Ticks grow towards the paper's
    edge, so the ones a printer clips show how much it clips."""
    pdf.saveState()
    pdf.setLineWidth(0.3)
    base_y, base_x = _from_top(RULER_AT), RULER_AT * MM
    pdf.line(base_x, base_y, PAGE_WIDTH, base_y)
    pdf.line(base_x, base_y, base_x, 0)
    pdf.setFont(fonts.regular, 6)
    for at in range(RULER_AT + 1, 211):  # along the top edge
        length = _tick_length(at)
        pdf.line(at * MM, base_y, at * MM, base_y + length)
        if at % 10 == 0:
            pdf.drawCentredString(at * MM, base_y - 2.6 * MM, str(at // 10))
    for at in range(RULER_AT + 1, 298):  # along the left edge
        length = _tick_length(at)
        pdf.line(base_x, _from_top(at), base_x - length, _from_top(at))
        if at % 10 == 0:
            pdf.drawString(base_x + 1 * MM, _from_top(at) - 2, str(at // 10))
    pdf.setFont(fonts.bold, 6)
    pdf.drawString(base_x + 1 * MM, base_y - 2.6 * MM, "cm")
    pdf.restoreState()


def _tick_length(at_mm: int) -> float:
    if at_mm % 10 == 0:
        return 5 * MM
    return 3.5 * MM if at_mm % 5 == 0 else 2 * MM


def _corner_marks(pdf: Any) -> None:
    """An L in each corner, its angle 5 mm from both edges, arms pointing inwards."""
    pdf.saveState()
    pdf.setLineWidth(0.8)
    near, arm = CORNER_MARGIN * MM, CORNER_ARM * MM
    for x, dx in ((near, arm), (PAGE_WIDTH - near, -arm)):
        for y, dy in ((near, arm), (PAGE_HEIGHT - near, -arm)):
            pdf.line(x, y, x + dx, y)
            pdf.line(x, y, x, y + dy)
    pdf.restoreState()


# The white panel over the grid that carries the text and the QR code (mm from the top);
# it ends under its content. Detail rows stop at ROWS_LOWEST, a note counts the rest.
PANEL_LEFT, PANEL_RIGHT, PANEL_TOP = 24, 186, 26
ROWS_LOWEST = 200
TEST_QR_SIZE = 36 * MM
MAX_VALUE_LINES = 4
MAX_NAME_IN_QR = 64
ROW_LEADING = 12.5
ROW_GAP = 1.5 * MM


@dataclass(frozen=True)
class _DetailRow:
    label: str
    lines: list[str]  # the value, wrapped

    @property
    def height(self) -> float:
        return len(self.lines) * ROW_LEADING + ROW_GAP


def _test_page_panel(
    pdf: Any, fonts: _Fonts, printer_name: str, details: Sequence[tuple[str, str]], now: datetime
) -> None:
    """Title, printer, time and details on the left, the QR code on the right, the QR's
    contents and what to check below them."""
    left, right = (PANEL_LEFT + 6) * MM, (PANEL_RIGHT - 6) * MM
    name = printer_name[:MAX_NAME_IN_QR]  # a QR code holds a few kilobytes at most
    payload = f"{TEST_PAGE_QR_PREFIX}|{name}|{now.isoformat(timespec='seconds')}"
    qr = _qr_drawing(payload, TEST_QR_SIZE)
    qr_left = PANEL_RIGHT * MM - 2 * MM - qr.width
    qr_bottom = _from_top(PANEL_TOP + 2) - qr.height

    rows_top = _from_top(PANEL_TOP + 5) - 22 * 1.25 - 12 * 1.25 - 6 * MM
    all_rows = [("Printer", printer_name), ("Waktu / Time", printed_time(now)), *details]
    label_width = _label_width(pdf, fonts, [label for label, _ in all_rows])
    value_width = qr_left - 2 * MM - left - label_width
    rows, left_off = _fit_rows(fonts, all_rows, value_width, rows_top - _from_top(ROWS_LOWEST))
    rows_bottom = rows_top - sum(row.height for row in rows) - (ROW_LEADING if left_off else 0)
    note = _split(
        fonts.fit(f"Isi kode QR / QR code contains: {payload}"), fonts.regular, 8.5, right - left
    )
    notes_top = min(rows_bottom, qr_bottom) - 4 * MM
    panel_bottom = notes_top - len(note) * 8.5 * 1.25 - 4 * MM - 2 * 10.5 * 1.25 - 5 * MM
    _panel(pdf, panel_bottom)
    qr.drawOn(pdf, qr_left, qr_bottom)

    y = _from_top(PANEL_TOP + 5)
    y = _draw_line(pdf, fonts.bold, 22, left, y, "Halaman Uji Printer")
    _draw_line(pdf, fonts.regular, 12, left, y, "Printer test page")
    _draw_rows(pdf, fonts, rows, left, label_width, rows_top)
    if left_off:
        text = f"(+{left_off} baris lagi / more rows)"
        _draw_line(pdf, fonts.regular, 9, left, rows_bottom + ROW_LEADING, text)
    y = notes_top
    for text in note:
        y = _draw_line(pdf, fonts.regular, 8.5, left, y, text)
    y -= 4 * MM
    y = _draw_line(
        pdf, fonts.bold, 10.5, left, y, "Garis tepi harus terlihat lengkap; kotak grid 10 mm."
    )
    _draw_line(
        pdf, fonts.regular, 10.5, left, y, "All edges must be visible; grid squares are 10 mm."
    )


def _panel(pdf: Any, bottom: float) -> None:
    pdf.saveState()
    pdf.setFillColorRGB(1, 1, 1)
    pdf.setStrokeColorRGB(0.35, 0.35, 0.35)
    pdf.setLineWidth(0.6)
    top = _from_top(PANEL_TOP)
    pdf.rect(PANEL_LEFT * MM, bottom, (PANEL_RIGHT - PANEL_LEFT) * MM, top - bottom, fill=1)
    pdf.restoreState()


def _label_width(pdf: Any, fonts: _Fonts, labels: Sequence[str]) -> float:
    """Room for the widest label, between 25 and 55 mm (longer labels are shortened)."""
    widest = max(pdf.stringWidth(fonts.fit(label), fonts.bold, 10) for label in labels)
    return min(max(widest + 4 * MM, 25 * MM), 55 * MM)


def _fit_rows(
    fonts: _Fonts, rows: Sequence[tuple[str, str]], value_width: float, room: float
) -> tuple[list[_DetailRow], int]:
    """The rows that fit in `room` points (values wrapped to a few lines each), and how
    many rows were left off; room is kept for the note that counts them."""
    fitted: list[_DetailRow] = []
    for index, (label, value) in enumerate(rows):
        lines = _split(fonts.fit(value) or "-", fonts.regular, 10, value_width)
        if len(lines) > MAX_VALUE_LINES:
            last = _clip(lines[MAX_VALUE_LINES - 1] + " ...", fonts.regular, 10, value_width)
            lines = [*lines[: MAX_VALUE_LINES - 1], last]
        row = _DetailRow(fonts.fit(label), lines)
        left_over = len(rows) - index
        if row.height + (ROW_LEADING if left_over > 1 else 0) > room:
            return fitted, left_over
        fitted.append(row)
        room -= row.height
    return fitted, 0


def _draw_rows(
    pdf: Any, fonts: _Fonts, rows: Sequence[_DetailRow], left: float, label_width: float, y: float
) -> None:
    for row in rows:
        label = _clip(row.label, fonts.bold, 10, label_width - 3 * MM)
        _draw_line(pdf, fonts.bold, 10, left, y, label)
        for text in row.lines:
            y = _draw_line(pdf, fonts.regular, 10, left + label_width, y, text, leading=ROW_LEADING)
        y -= ROW_GAP


def _draw_line(
    pdf: Any, font: str, size: float, x: float, y: float, text: str, *, leading: float = 0
) -> float:
    """Draw one line whose top is at `y`; returns the top of the next line."""
    pdf.setFont(font, size)
    pdf.drawString(x, y - size, text)
    return y - (leading or size * 1.25)


def _split(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    return list(simpleSplit(text, font, size, width)) or [""]


def _clip(text: str, font: str, size: float, width: float) -> str:
    """`text` shortened with "..." until it fits `width`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text + "..."


# ---------------------------------------------------------------------------- proof of submission

PROOF_QR_SIZE = 45 * MM  # the modules; scans from a phone or the kiosk's own scanner
PROOF_MARGIN = 20 * MM


def proof_of_submission_pdf(
    receipt: Receipt, now: datetime, *, font_dir: Path = DEJAVU_DIR
) -> bytes:
    """The thermal receipt's content on A4, for kiosks without a receipt printer: the
    header, title, the rows as a two-column table, the tracking code big, the pickup QR
    code, the footer, and the printing time at the foot of every page. Many or long rows
    flow on to further pages."""
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    if not isinstance(receipt, Receipt):
        raise TypeError(f"a Receipt is needed, not {type(receipt).__name__}")
    _require_datetime(now)
    fonts = _fonts(font_dir)
    styles = _ProofStyles.make(fonts)
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        leftMargin=PROOF_MARGIN,
        rightMargin=PROOF_MARGIN,
        topMargin=18 * MM,
        bottomMargin=24 * MM,
        title=fonts.fit(f"Tanda terima / Proof of submission {receipt.tracking_code}"),
        author="APM Kiosk",
        subject=fonts.fit(receipt.title),
        invariant=1,
        pageCompression=1,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    # The page foot is drawn when a page ends: the text then reads in page order.
    stamp = _page_foot(fonts, printed_time(now))
    doc.addPageTemplates([PageTemplate(id="proof", frames=[frame], onPageEnd=stamp)])
    doc.build(
        [
            *_proof_header(receipt, fonts, styles),
            *_proof_rows(receipt, fonts, styles, doc.width),
            *_proof_tracking(receipt, fonts, styles),
            *_proof_footer(receipt, fonts, styles),
        ]
    )
    return buffer.getvalue()


@dataclass(frozen=True)
class _ProofStyles:
    header_first: Any
    header: Any
    title: Any
    subtitle: Any
    label: Any
    value: Any
    tracking_label: Any
    tracking_code: Any
    note: Any
    footer: Any

    @classmethod
    def make(cls, fonts: _Fonts) -> _ProofStyles:
        from reportlab.lib.colors import Color
        from reportlab.lib.enums import TA_CENTER
        from reportlab.lib.styles import ParagraphStyle

        grey = Color(0.35, 0.35, 0.35)

        def style(name: str, font: str, size: float, **more: Any) -> Any:
            return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.3, **more)

        centred = {"alignment": TA_CENTER}
        return cls(
            header_first=style("header_first", fonts.bold, 14, **centred),
            header=style("header", fonts.regular, 11, **centred),
            title=style("title", fonts.bold, 18, spaceBefore=6 * MM, **centred),
            subtitle=style(
                "subtitle", fonts.regular, 10, textColor=grey, spaceAfter=6 * MM, **centred
            ),
            label=style("label", fonts.bold, 10.5, textColor=grey),
            value=style("value", fonts.regular, 11),
            tracking_label=style(
                "tracking_label", fonts.regular, 11, spaceBefore=7 * MM, **centred
            ),
            tracking_code=style(
                "tracking_code", fonts.bold, 30, spaceBefore=2 * MM, spaceAfter=3 * MM, **centred
            ),
            note=style("note", fonts.regular, 9.5, textColor=grey, spaceBefore=2 * MM, **centred),
            footer=style("footer", fonts.regular, 10.5, **centred),
        )


def _paragraph(fonts: _Fonts, text: str, style: Any) -> Any:
    """Plain text (never markup) as a Paragraph; it wraps, and splits across pages."""
    from reportlab.platypus import Paragraph

    return Paragraph(_escape_markup(fonts.fit(text)), style)


def _escape_markup(text: str) -> str:
    """Paragraph text is markup: plain text needs &, < and > escaped. (Not
    xml.sax.saxutils.escape: importing it pulls urllib in, 40 ms at the kiosk's start.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _proof_header(receipt: Receipt, fonts: _Fonts, styles: _ProofStyles) -> list[Any]:
    from reportlab.lib.colors import black
    from reportlab.platypus import HRFlowable

    story: list[Any] = []
    for number, line in enumerate(receipt.header):
        story.append(_paragraph(fonts, line, styles.header_first if number == 0 else styles.header))
    if story:  # a letterhead's rules: a thick one over a thin one
        rule = {"width": "100%", "color": black, "spaceBefore": 0, "spaceAfter": 0}
        story.append(HRFlowable(thickness=1.6, **{**rule, "spaceBefore": 3 * MM, "spaceAfter": 1}))
        story.append(HRFlowable(thickness=0.5, **rule))
    if receipt.title:
        story.append(_paragraph(fonts, receipt.title, styles.title))
    story.append(_paragraph(fonts, "Tanda terima / Proof of submission", styles.subtitle))
    return story


def _proof_rows(receipt: Receipt, fonts: _Fonts, styles: _ProofStyles, width: float) -> list[Any]:
    """The label/value rows as a two-column table that wraps long values and splits
    between rows across pages."""
    from reportlab.lib.colors import Color
    from reportlab.platypus import Table, TableStyle

    if not receipt.rows:
        return []
    cells = [
        [_paragraph(fonts, label, styles.label), _paragraph(fonts, value, styles.value)]
        for row_label, row_value in receipt.rows
        for label, value in _row_pieces(row_label, row_value)
    ]
    label_width = 45 * MM
    table = Table(cells, colWidths=[label_width, width - label_width], hAlign="CENTER")
    rule = Color(0.75, 0.75, 0.75)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, Color(0.3, 0.3, 0.3)),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, rule),
                ("LINEBELOW", (0, -1), (-1, -1), 0.8, Color(0.3, 0.3, 0.3)),
                # Where the table breaks across pages, each part is closed and opened by a rule.
                ("LINEBELOW", (0, "splitlast"), (-1, "splitlast"), 0.8, Color(0.3, 0.3, 0.3)),
                ("LINEABOVE", (0, "splitfirst"), (-1, "splitfirst"), 0.8, Color(0.3, 0.3, 0.3)),
            ]
        )
    )
    return [table]


def _row_pieces(label: str, value: str) -> list[tuple[str, str]]:
    """A row as table rows of at most ROW_CHUNK_CHARS characters per cell: a table row
    cannot split across pages, so an overlong value continues in rows without a label."""
    labels = _chunks(label)
    values = _chunks(value)
    return [(lab or "", val or "") for lab, val in zip_longest(labels, values)]


def _chunks(text: str) -> list[str]:
    if len(text) <= ROW_CHUNK_CHARS:
        return [text]
    return textwrap.wrap(text, ROW_CHUNK_CHARS, break_long_words=True, break_on_hyphens=False)


def _proof_tracking(receipt: Receipt, fonts: _Fonts, styles: _ProofStyles) -> list[Any]:
    """The tracking code and the pickup QR code, kept together on one page."""
    from reportlab.platypus import KeepTogether

    block: list[Any] = []
    if receipt.tracking_code:
        label = f"{receipt.tracking_label} / Tracking code"
        block.append(_paragraph(fonts, label, styles.tracking_label))
        block.append(_paragraph(fonts, receipt.tracking_code, styles.tracking_code))
    if receipt.qr_payload:
        block.append(_qr_drawing(receipt.qr_payload, PROOF_QR_SIZE))
        note = "Kode QR untuk mengambil surat; jangan dibagikan. / Pickup QR code; do not share it."
        block.append(_paragraph(fonts, note, styles.note))
    return [KeepTogether(block)] if block else []


def _proof_footer(receipt: Receipt, fonts: _Fonts, styles: _ProofStyles) -> list[Any]:
    from reportlab.platypus import Spacer

    if not receipt.footer:
        return []
    return [Spacer(1, 6 * MM), *(_paragraph(fonts, line, styles.footer) for line in receipt.footer)]


def _page_foot(fonts: _Fonts, printed: str) -> Any:
    """Draws the printing time and the page number under a thin rule on each page."""

    def draw(pdf: Any, doc: Any) -> None:
        pdf.saveState()
        left, right, y = PROOF_MARGIN, PAGE_WIDTH - PROOF_MARGIN, 14 * MM
        pdf.setStrokeColorRGB(0.6, 0.6, 0.6)
        pdf.setLineWidth(0.4)
        pdf.line(left, y + 4 * MM, right, y + 4 * MM)
        pdf.setFont(fonts.regular, 9)
        pdf.setFillColorRGB(0.3, 0.3, 0.3)
        pdf.drawString(left, y, fonts.fit(f"Dicetak / Printed: {printed}"))
        pdf.drawRightString(right, y, f"Halaman / Page {doc.page}")
        pdf.restoreState()

    return draw
