"""The village letter as a PDF, laid out like the letters Indonesian villages issue.

Letterhead (regency, district, village, address, a double rule), title and number,
the opening formula, the resident's data, the service's paragraph and purpose, the
closing formula, place and date, and the signature block with the verification QR code
that stands in for a wet signature on electronically signed (TTE) letters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from kiosk.backend.models import Village

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


def indonesian_date(moment: datetime) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def letter_number(code: str, sequence: int, village: Village, moment: datetime) -> str:
    return f"{code}/{sequence:03d}/{village.code}/{ROMAN[moment.month - 1]}/{moment.year}"


@dataclass(frozen=True)
class LetterContent:
    village: Village
    title: str
    number: str
    resident: dict[str, str]  # name, nik, birth place/date, gender, religion, ...
    paragraph: str  # what the village head certifies, specific to the service
    purpose: str
    issued: datetime
    verify_url: str


def service_paragraph(code: str, fields: dict[str, str], village: Village) -> str:
    place = f"Desa {village.name}, Kecamatan {village.district}, {village.regency}"
    if code == "SKD":
        address = fields.get("alamat_domisili") or "wilayah desa"
        return f"Orang tersebut di atas benar-benar berdomisili di {address}, {place}."
    if code == "SKTM":
        income = fields.get("penghasilan_bulanan", "-")
        dependants = fields.get("jumlah_tanggungan", "-")
        return (
            f"Orang tersebut di atas adalah warga {place} yang tergolong keluarga tidak mampu, "
            f"dengan penghasilan per bulan Rp {income} dan {dependants} orang tanggungan."
        )
    if code == "SKCK":
        return (
            f"Orang tersebut di atas adalah warga {place} yang sepanjang pengetahuan kami "
            "berkelakuan baik dan tidak sedang tersangkut perkara pidana. Surat ini diberikan "
            "sebagai pengantar untuk mengurus Surat Keterangan Catatan Kepolisian (SKCK)."
        )
    if code == "SKU":
        return (
            f'Orang tersebut di atas benar-benar memiliki usaha "{fields.get("nama_usaha", "-")}" '
            f"(jenis usaha: {fields.get('jenis_usaha', '-')}) yang beralamat di "
            f"{fields.get('alamat_usaha', '-')}, berjalan sejak {fields.get('mulai_usaha', '-')}."
        )
    return f"Orang tersebut di atas adalah benar warga {place}."


def render_letter(content: LetterContent) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{content.title} {content.number}")
    pdf.setAuthor(f"Pemerintah Desa {content.village.name}")
    width, height = A4
    left, right = 25 * mm, width - 20 * mm
    y = _letterhead(pdf, content.village, left, right, height - 18 * mm)
    y = _title(pdf, content, (left + right) / 2, y - 12 * mm)
    y = _body(pdf, content, left, right, y - 10 * mm)
    _signature(pdf, content, right, y - 10 * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _letterhead(pdf, village: Village, left: float, right: float, top: float) -> float:
    from reportlab.lib.units import mm

    centre = (left + right) / 2
    lines = [
        ("Helvetica-Bold", 13, f"PEMERINTAH {village.regency.upper()}"),
        ("Helvetica-Bold", 13, f"KECAMATAN {village.district.upper()}"),
        ("Helvetica-Bold", 16, f"DESA {village.name.upper()}"),
        ("Helvetica", 9.5, f"Alamat: {village.address}"),
    ]
    y = top
    for font, size, text in lines:
        pdf.setFont(font, size)
        pdf.drawCentredString(centre, y, text)
        y -= size + 4
    _emblem(pdf, left + 9 * mm, top - 10 * mm)
    y -= 1 * mm
    pdf.setLineWidth(2.2)
    pdf.line(left, y, right, y)
    pdf.setLineWidth(0.6)
    pdf.line(left, y - 2.2, right, y - 2.2)
    return y


def _emblem(pdf, x: float, y: float) -> None:
    """A plain shield where the regency's coat of arms goes on a real letterhead."""
    pdf.saveState()
    pdf.setLineWidth(1.2)
    path = pdf.beginPath()
    path.moveTo(x - 22, y + 24)
    path.lineTo(x + 22, y + 24)
    path.lineTo(x + 22, y - 4)
    path.curveTo(x + 22, y - 18, x + 6, y - 26, x, y - 30)
    path.curveTo(x - 6, y - 26, x - 22, y - 18, x - 22, y - 4)
    path.close()
    pdf.drawPath(path, stroke=1, fill=0)
    pdf.setFont("Helvetica-Bold", 7)
    pdf.drawCentredString(x, y + 4, "LAMBANG")
    pdf.drawCentredString(x, y - 5, "DAERAH")
    pdf.restoreState()


def _title(pdf, content: LetterContent, centre: float, y: float) -> float:
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawCentredString(centre, y, content.title.upper())
    title_width = pdf.stringWidth(content.title.upper(), "Helvetica-Bold", 13)
    pdf.setLineWidth(0.8)
    pdf.line(centre - title_width / 2, y - 2, centre + title_width / 2, y - 2)
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(centre, y - 15, f"Nomor: {content.number}")
    return y - 15


def _body(pdf, content: LetterContent, left: float, right: float, y: float) -> float:
    from reportlab.lib.units import mm

    v = content.village
    opening = (
        f"Yang bertanda tangan di bawah ini, Kepala Desa {v.name}, Kecamatan {v.district}, "
        f"{v.regency}, Provinsi {v.province}, menerangkan bahwa:"
    )
    y = _paragraph(pdf, opening, left, right, y)
    r = content.resident
    rows = [
        ("Nama", r.get("name", "-")),
        ("NIK", r.get("nik", "-")),
        ("Tempat/Tgl. Lahir", f"{r.get('birth_place', '-')}, {r.get('birth_date_text', '-')}"),
        ("Jenis Kelamin", r.get("gender", "-")),
        ("Agama", r.get("religion", "-")),
        ("Pekerjaan", r.get("occupation", "-")),
        ("Status Perkawinan", r.get("marital_status", "-")),
        ("Alamat", r.get("address", "-")),
    ]
    y -= 3 * mm
    for label, value in rows:
        pdf.setFont("Helvetica", 11)
        pdf.drawString(left + 10 * mm, y, label)
        pdf.drawString(left + 50 * mm, y, ":")
        first = label == "Nama"
        pdf.setFont("Helvetica-Bold" if first else "Helvetica", 11)
        y = _paragraph(
            pdf,
            value,
            left + 53 * mm,
            right,
            y,
            font="Helvetica-Bold" if first else "Helvetica",
            gap=0,
        )
        y -= 1.5 * mm
    y -= 3 * mm
    y = _paragraph(pdf, content.paragraph, left, right, y)
    y = _paragraph(
        pdf, f"Surat keterangan ini dibuat untuk keperluan: {content.purpose}.", left, right, y
    )
    closing = "Demikian surat keterangan ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya."
    return _paragraph(pdf, closing, left, right, y)


def _paragraph(
    pdf,
    text: str,
    left: float,
    right: float,
    y: float,
    *,
    font: str = "Helvetica",
    size: float = 11,
    gap: float = 6,
) -> float:
    """Draw `text` wrapped between left and right; returns the y below it."""
    from reportlab.lib.utils import simpleSplit

    pdf.setFont(font, size)
    for line in simpleSplit(text, font, size, right - left):
        pdf.drawString(left, y, line)
        y -= size + 4
    return y - gap


def _signature(pdf, content: LetterContent, right: float, y: float) -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.units import mm

    x = right - 75 * mm
    pdf.setFont("Helvetica", 11)
    pdf.drawString(x, y, f"{content.village.name}, {indonesian_date(content.issued)}")
    pdf.drawString(x, y - 15, f"Kepala Desa {content.village.name}")
    size = 28 * mm
    widget = QrCodeWidget(content.verify_url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x, y - 20 - size)
    pdf.setFont("Helvetica-Oblique", 8)
    pdf.drawString(x + size + 3 * mm, y - 30, "Ditandatangani secara")
    pdf.drawString(x + size + 3 * mm, y - 40, "elektronik (TTE).")
    pdf.drawString(x + size + 3 * mm, y - 54, "Pindai kode QR untuk")
    pdf.drawString(x + size + 3 * mm, y - 64, "memeriksa keaslian.")
    pdf.setFont("Helvetica-Bold", 11)
    name_y = y - 30 - size
    pdf.drawString(x, name_y, content.village.head_name.upper())
    pdf.setLineWidth(0.6)
    pdf.line(
        x,
        name_y - 2,
        x + pdf.stringWidth(content.village.head_name.upper(), "Helvetica-Bold", 11),
        name_y - 2,
    )
