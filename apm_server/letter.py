"""The village letter as a PDF, laid out like the letters Indonesian villages issue.

Letterhead (regency, district, village, address, a thick rule over a thin one), the
underlined title and the letter number, the opening formula, the resident's data as an
aligned table, the service's paragraph and purpose, the closing formula, place and date,
and the signature block with the verification QR code that stands in for a wet signature
on electronically signed (TTE) letters.

reportlab is imported inside the functions that draw: the server starts without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from apm_api.models import Village

MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]

FONT, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
BODY_SIZE = 11
LEADING = 15


def indonesian_date(moment: date) -> str:
    """23 November 2026 (also for a datetime: the date part)."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def indonesian_iso_date(value: str) -> str:
    """An ISO yyyy-mm-dd form value as an Indonesian date; other text is kept as it is."""
    try:
        return indonesian_date(date.fromisoformat(value))
    except ValueError:
        return value


def rupiah(value: str) -> str:
    """1500000 -> 1.500.000 (Indonesian thousands separator)."""
    return f"{int(value):,}".replace(",", ".") if value.isdigit() else value


def letter_number(code: str, sequence: int, village: Village, moment: datetime) -> str:
    """474.4/007/35.23.01.2001/XI/2026: classification, sequence, village code, month, year."""
    return f"{code}/{sequence:03d}/{village.code}/{ROMAN[moment.month - 1]}/{moment.year}"


@dataclass(frozen=True)
class LetterContent:
    village: Village
    title: str
    number: str
    resident: dict[str, str]  # name, nik, birth place/date, gender, religion, ...
    paragraph: str  # what the village head certifies, specific to the service
    purpose: str | None  # None for letters whose form asks no purpose
    issued: datetime
    verify_url: str


def service_paragraph(code: str, fields: dict[str, str], village: Village) -> str:
    """What the village head certifies, in the words village letters use."""
    region = f"Kecamatan {village.district}, {village.regency}"
    place = f"Desa {village.name}, {region}"
    if code == "SKD":
        return (
            f"Orang tersebut di atas adalah benar warga Desa {village.name} dan benar-benar "
            f"berdomisili di {_in_village(fields.get('alamat_domisili', ''), village)}, {region}."
        )
    if code == "SKTM":
        return (
            f"Orang tersebut di atas adalah benar warga {place} yang menurut pengamatan kami "
            "tergolong keluarga tidak mampu, dengan penghasilan per bulan sebesar "
            f"Rp {rupiah(fields.get('penghasilan_bulanan', '-'))},- dan jumlah tanggungan "
            f"{fields.get('jumlah_tanggungan', '-')} orang."
        )
    if code == "SKCK":
        return (
            f"Orang tersebut di atas adalah benar warga {place} yang sepanjang pengetahuan kami "
            "berkelakuan baik dan tidak sedang tersangkut perkara pidana. Surat ini diberikan "
            "sebagai pengantar untuk mengurus Surat Keterangan Catatan Kepolisian (SKCK) di "
            "kepolisian setempat."
        )
    if code == "SKU":
        return (
            f"Orang tersebut di atas adalah benar warga {place} yang memiliki usaha "
            f'"{fields.get("nama_usaha", "-")}" dengan jenis usaha '
            f"{fields.get('jenis_usaha', '-')}, beralamat di "
            f"{_in_village(fields.get('alamat_usaha', ''), village)}, dan telah berjalan sejak "
            f"{indonesian_iso_date(fields.get('mulai_usaha', '-'))}."
        )
    return f"Orang tersebut di atas adalah benar warga {place}."


def _in_village(address: str, village: Village) -> str:
    """The address with the village named once (residents' addresses often name it)."""
    address = address.strip().rstrip(",.") or "wilayah desa"
    if f"desa {village.name}".lower() in address.lower():
        return address
    return f"{address}, Desa {village.name}"


def render_letter(content: LetterContent) -> bytes:
    """The unsigned letter: one A4 page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{content.title} {content.number}")
    pdf.setAuthor(f"Pemerintah Desa {content.village.name}")
    pdf.setSubject(content.title)
    width, height = A4
    left, right = 25 * mm, width - 20 * mm
    y = _letterhead(pdf, content.village, left, right, height - 18 * mm)
    y = _title(pdf, content, (left + right) / 2, y - 12 * mm)
    y = _body(pdf, content, left, right, y - 10 * mm)
    _signature(pdf, content, right, y - 6 * mm)
    _footer(pdf, content, left, right, 14 * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _letterhead(pdf: Any, village: Village, left: float, right: float, top: float) -> float:
    from reportlab.lib.units import mm

    centre = (left + right) / 2 + 8 * mm  # the emblem takes the left part
    lines = [
        (BOLD, 13, f"PEMERINTAH {village.regency.upper()}"),
        (BOLD, 13, f"KECAMATAN {village.district.upper()}"),
        (BOLD, 17, f"DESA {village.name.upper()}"),
        (FONT, 9.5, f"Alamat: {village.address}"),
    ]
    y = top
    for font, size, text in lines:
        pdf.setFont(font, size)
        pdf.drawCentredString(centre, y, text)
        y -= size + 4
    _emblem(pdf, left + 10 * mm, top - 11 * mm)
    y -= 1 * mm
    pdf.setLineWidth(2.4)  # the thick rule, with a thin one under it, as on printed letterheads
    pdf.line(left, y, right, y)
    pdf.setLineWidth(0.7)
    pdf.line(left, y - 3, right, y - 3)
    return y


def _emblem(pdf: Any, x: float, y: float) -> None:
    """A plain shield where the regency's coat of arms goes on a real letterhead."""
    pdf.saveState()
    pdf.setLineWidth(1.2)
    path = pdf.beginPath()
    path.moveTo(x - 22, y + 26)
    path.lineTo(x + 22, y + 26)
    path.lineTo(x + 22, y - 4)
    path.curveTo(x + 22, y - 18, x + 6, y - 26, x, y - 30)
    path.curveTo(x - 6, y - 26, x - 22, y - 18, x - 22, y - 4)
    path.close()
    pdf.drawPath(path, stroke=1, fill=0)
    pdf.setFont(BOLD, 6.5)
    pdf.drawCentredString(x, y + 6, "LAMBANG")
    pdf.drawCentredString(x, y - 3, "DAERAH")
    pdf.restoreState()


def _title(pdf: Any, content: LetterContent, centre: float, y: float) -> float:
    title = content.title.upper()
    pdf.setFont(BOLD, 13)
    pdf.drawCentredString(centre, y, title)
    half = pdf.stringWidth(title, BOLD, 13) / 2
    pdf.setLineWidth(0.8)
    pdf.line(centre - half, y - 2.5, centre + half, y - 2.5)
    pdf.setFont(FONT, BODY_SIZE)
    pdf.drawCentredString(centre, y - 16, f"Nomor: {content.number}")
    return y - 16


def _body(pdf: Any, content: LetterContent, left: float, right: float, y: float) -> float:
    from reportlab.lib.units import mm

    v = content.village
    opening = (
        f"Yang bertanda tangan di bawah ini, Kepala Desa {v.name}, Kecamatan {v.district}, "
        f"{v.regency}, Provinsi {v.province}, menerangkan bahwa:"
    )
    y = _paragraph(pdf, opening, left, right, y)
    y = _resident_table(pdf, content.resident, left + 10 * mm, right, y - 1 * mm)
    y = _paragraph(pdf, content.paragraph, left, right, y - 3 * mm)
    noun = (
        "Surat pengantar"
        if content.title.lower().startswith("surat pengantar")
        else "Surat keterangan"
    )
    if content.purpose:
        y = _paragraph(
            pdf, f"{noun} ini dibuat untuk keperluan: {content.purpose}.", left, right, y
        )
    closing = (
        f"Demikian {noun.lower()} ini dibuat dengan sebenarnya untuk dapat dipergunakan "
        "sebagaimana mestinya."
    )
    return _paragraph(pdf, closing, left, right, y)


def _resident_table(
    pdf: Any, resident: dict[str, str], left: float, right: float, y: float
) -> float:
    """Label, colon and value in three aligned columns; long values wrap in their column."""
    from reportlab.lib.units import mm

    born = f"{resident.get('birth_place', '-')}, {resident.get('birth_date_text', '-')}"
    rows = [
        ("Nama", resident.get("name", "-")),
        ("NIK", resident.get("nik", "-")),
        ("Tempat/Tgl. Lahir", born),
        ("Jenis Kelamin", resident.get("gender", "-")),
        ("Agama", resident.get("religion", "-")),
        ("Pekerjaan", resident.get("occupation", "-")),
        ("Status Perkawinan", resident.get("marital_status", "-")),
        ("Alamat", resident.get("address", "-")),
    ]
    for label, value in rows:
        pdf.setFont(FONT, BODY_SIZE)
        top = y - BODY_SIZE  # the baseline of the row's first line
        pdf.drawString(left, top, label)
        pdf.drawString(left + 40 * mm, top, ":")
        font = BOLD if label == "Nama" else FONT
        y = _paragraph(pdf, value, left + 43 * mm, right, y, font=font, justify=False, gap=2)
    return y


def _paragraph(
    pdf: Any,
    text: str,
    left: float,
    right: float,
    y: float,
    *,
    font: str = FONT,
    justify: bool = True,
    gap: float = 7,
) -> float:
    """Draw `text` (plain, not markup) wrapped between left and right below `y`.

    Returns the y under it. Justified, as letters are typed; the last line stays ragged.
    """
    from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle(
        "letter",
        fontName=font,
        fontSize=BODY_SIZE,
        leading=LEADING,
        alignment=TA_JUSTIFY if justify else TA_LEFT,
    )
    paragraph = Paragraph(escape(text), style)
    _, height = paragraph.wrapOn(pdf, right - left, 1000)
    paragraph.drawOn(pdf, left, y - height)
    return y - height - gap


def _signature(pdf: Any, content: LetterContent, right: float, y: float) -> None:
    from reportlab.lib.units import mm

    x = right - 72 * mm
    village = content.village
    pdf.setFont(FONT, BODY_SIZE)
    pdf.drawString(x, y - BODY_SIZE, f"{village.name}, {indonesian_date(content.issued)}")
    pdf.drawString(x, y - BODY_SIZE - LEADING, f"Kepala Desa {village.name}")
    size = 30 * mm
    qr_bottom = y - BODY_SIZE - LEADING - 3 - size
    _qr_code(pdf, content.verify_url, x, qr_bottom, size)
    pdf.setFont(ITALIC, 7.5)
    for line_number, line in enumerate(
        ("Pindai kode QR ini", "untuk memeriksa", "keaslian surat.")
    ):
        pdf.drawString(x + size + 1 * mm, qr_bottom + size - 14 - 9 * line_number, line)
    pdf.drawString(x, qr_bottom - 6, "Ditandatangani secara elektronik")
    name = village.head_name.upper()
    name_y = qr_bottom - 6 - LEADING - 2
    pdf.setFont(BOLD, BODY_SIZE)
    pdf.drawString(x, name_y, name)
    pdf.setLineWidth(0.6)
    pdf.line(x, name_y - 2, x + pdf.stringWidth(name, BOLD, BODY_SIZE), name_y - 2)


def _qr_code(pdf: Any, url: str, x: float, y: float, size: float) -> None:
    """The verification QR code (qrcode library), drawn as vector squares."""
    import qrcode

    # A white border of two modules keeps the code readable next to the text around it.
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    pdf.saveState()
    pdf.setFillColorRGB(0, 0, 0)
    # One path, a rectangle per run of dark modules in a row: a third of the operators
    # (and of the time) of a square per module, the same picture.
    path = pdf.beginPath()
    for row_number, row in enumerate(matrix):
        top = y + size - (row_number + 1) * cell
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(x + start * cell, top, (column - start) * cell, cell)
    pdf.drawPath(path, stroke=0, fill=1)
    pdf.restoreState()


def _footer(pdf: Any, content: LetterContent, left: float, right: float, y: float) -> None:
    """What an electronically signed letter says about its signature, at the page foot."""
    from reportlab.lib.utils import simpleSplit

    note = (
        "Dokumen ini ditandatangani secara elektronik dengan sertifikat elektronik (demo: "
        "APM Demo Root CA, bukan BSrE) dan sah tanpa tanda tangan basah. "
        f"Periksa keaslian: {content.verify_url}"
    )
    lines = simpleSplit(note, ITALIC, 7, right - left)
    pdf.setLineWidth(0.4)
    pdf.line(left, y + 9 * len(lines), right, y + 9 * len(lines))
    pdf.setFont(ITALIC, 7)
    for number, line in enumerate(lines):
        pdf.drawString(left, y + 9 * (len(lines) - 1 - number), line)
