"""Signed letters as the reference server makes them, for the CUPS tests and bench.

One page: the server's own letter (`apm_server.letter.render_letter`). More pages: the
same kind of text drawn with reportlab, one page after another (a letter with its
attachments). Either way it is signed by a demo CA with the server's PAdES signer, so
the bytes sent to CUPS are those of a real signed letter.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from pathlib import Path

from apm_server import demo_data
from apm_server.letter import LetterContent, render_letter
from apm_server.signing import ensure_demo_ca, sign_pdf

TITLE = "Surat Keterangan Domisili"
NUMBER = "474.4/007/35.23.01.2001/XI/2026"
RESIDENT = "Budi Santoso"
NIK = "3523011203850002"
PURPOSE = "Pendaftaran sekolah anak"


def signed_letter(folder: Path, pages: int = 1) -> bytes:
    """A letter of `pages` A4 pages, signed by a demo CA kept in `folder`."""
    ca = ensure_demo_ca(folder / "demo-ca", demo_data.VILLAGE.head_name, demo_data.VILLAGE.name)
    unsigned = _one_page_letter() if pages == 1 else _long_letter(pages)
    return sign_pdf(unsigned, ca, reason=TITLE, location=f"Desa {demo_data.VILLAGE.name}")


def _one_page_letter() -> bytes:
    return render_letter(
        LetterContent(
            village=demo_data.VILLAGE,
            title=TITLE,
            number=NUMBER,
            resident={"name": RESIDENT, "nik": NIK, "birth_place": "Tuban"},
            paragraph=f"Orang tersebut di atas adalah benar warga Desa {demo_data.VILLAGE.name}.",
            purpose=PURPOSE,
            issued=datetime(2026, 11, 23, 9, 30),
            verify_url="http://127.0.0.1:8080/verify/req-1?code=231126-001",
        )
    )


def _long_letter(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{TITLE} {NUMBER}")
    width, height = A4
    for page in range(1, pages + 1):
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawCentredString(width / 2, height - 25 * mm, "PEMERINTAH DESA SUMBEREJO")
        pdf.setFont("Helvetica-Bold", 12)
        pdf.drawCentredString(width / 2, height - 40 * mm, TITLE.upper())
        pdf.setFont("Helvetica", 10)
        pdf.drawCentredString(width / 2, height - 46 * mm, f"Nomor: {NUMBER}")
        y = height - 60 * mm
        for line in range(40):
            pdf.drawString(25 * mm, y, f"{RESIDENT} ({NIK}), baris {line + 1}: {PURPOSE}.")
            y -= 5 * mm
        pdf.drawRightString(width - 20 * mm, 15 * mm, f"Halaman {page} dari {pages}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
