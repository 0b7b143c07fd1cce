"""The kiosk's own A4 PDFs (test page, proof of submission), checked the way a technician
or a citizen would meet them: the text poppler extracts, the page size and count, the
page rendered to pixels, and the QR code decoded by zbar from that image."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

import printer.pdf_pages as pages
from printer.receipt import Receipt

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdfinfo", "pdftoppm", "zbarimg")),
    reason="needs poppler-utils and zbar-tools (apt-get install poppler-utils zbar-tools)",
)

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 23, 6, 28, 41, tzinfo=WIB)
DPI = 100
PX_PER_MM = DPI / 25.4
A4_POINTS = (595, 842)
PRINTER = "HP LaserJet Pro M404dn (kantor desa)"
DETAILS = [
    ("Antrean / Queue", "kantor-a4"),
    ("Model", "HP LaserJet Pro M404"),
    ("Kios / Kiosk", "kios-sukamaju-01"),
]
FOOTER = (
    "Simpan struk ini sebagai tanda terima.",
    "Surat dapat dicetak di kios ini setelah",
    "ditandatangani Kepala Desa: tempelkan",
    "e-KTP Anda atau pindai kode QR ini.",
)


def receipt(**changes: object) -> Receipt:
    fields: dict[str, object] = {
        "header": ["PEMERINTAH DESA SUKAMAJU", "Kec. Tambakboyo, Kabupaten Tuban"],
        "title": "TANDA TERIMA PERMOHONAN",
        "rows": [
            ("Layanan", "Surat Keterangan Domisili"),
            ("Tanggal", "23-11-2026 06:28"),
            ("Nama", "Siti Rahayu"),
            ("NIK", "3523********0001"),
            ("Kode ambil", "1234-5678-9012"),
        ],
        "tracking_code": "231126-0042",
        "qr_payload": "APM1:AMBIL:123456789012",
        "footer": FOOTER,
    }
    fields.update(changes)
    return Receipt(**fields)  # type: ignore[arg-type]


def long_receipt() -> Receipt:
    """30 rows, several of them several lines long."""
    rows = [
        (
            f"Keterangan {number:02d}",
            f"Alamat nomor {number} di Jalan Raya Tambakboyo gang mawar RT 0{number % 9} "
            f"Dusun Krajan{number} yang panjang sekali " * (1 + number % 4),
        )
        for number in range(30)
    ]
    return receipt(rows=rows)


# ---------------------------------------------------------------------------- tools


@dataclass
class Rendered:
    pdf: Path
    pngs: list[Path]


def save(pdf: bytes, folder: Path, name: str) -> Path:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    return path


def run(*command: str | Path) -> str:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"{command[0]} failed: {done.stderr}"
    return done.stdout


def text_of(pdf: Path) -> str:
    """The text in drawing order, whitespace collapsed (wrapped lines join with a space)."""
    return " ".join(run("pdftotext", "-raw", pdf, "-").split())


def body_text(pdf: Path) -> str:
    """The text without the page foot that each page ends with."""
    return " ".join(PAGE_FOOT.sub(" ", text_of(pdf)).split())


PAGE_FOOT = re.compile(r" ?Dicetak / Printed: [^/]* Halaman / Page \d+ ?")


def page_texts(pdf: Path) -> list[str]:
    return [" ".join(page.split()) for page in run("pdftotext", "-raw", pdf, "-").split("\f")[:-1]]


def info(pdf: Path) -> dict[str, str]:
    lines = run("pdfinfo", pdf).splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def assert_a4(pdf: Path, pages_expected: int | None = None) -> int:
    details = info(pdf)
    width, height = re.match(r"([\d.]+) x ([\d.]+) pts", details["Page size"]).groups()  # type: ignore[union-attr]
    assert (round(float(width)), round(float(height))) == A4_POINTS
    assert "(A4)" in details["Page size"]
    count = int(details["Pages"])
    if pages_expected is not None:
        assert count == pages_expected
    return count


def render(pdf: Path, dpi: int = DPI) -> list[Path]:
    prefix = pdf.with_suffix("")
    run("pdftoppm", "-r", str(dpi), "-png", pdf, prefix)
    return sorted(pdf.parent.glob(f"{prefix.name}-*.png"))


def qr_codes(png: Path) -> list[str]:
    """The QR payloads zbar finds in the image (exit status 4: none found)."""
    done = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (0, 4), done.stderr
    return done.stdout.splitlines()


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


def words(pdf: Path) -> list[Word]:
    """Every word with its box in points (origin top left), from `pdftotext -bbox`."""
    html = run("pdftotext", "-bbox", pdf, "-")
    found: list[Word] = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        for match in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            page,
        ):
            x0, y0, x1, y1 = (float(value) for value in match.groups()[:4])
            found.append(Word(number, match.group(5), x0, y0, x1, y1))
    return found


def rgb(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    """The colour of a pixel of an RGB image."""
    return cast(tuple[int, int, int], image.getpixel((x, y)))


def grey(image: Image.Image, x: int, y: int) -> int:
    """The grey level of a pixel of a greyscale ("L") image."""
    return cast(int, image.getpixel((x, y)))


def dark(pixel: tuple[int, ...], below: int = 160) -> bool:
    return max(pixel[:3]) < below


# ---------------------------------------------------------------------------- test page


@pytest.fixture
def test_page(tmp_path: Path) -> Path:
    return save(pages.test_page_pdf(PRINTER, DETAILS, NOW), tmp_path, "test_page")


def test_the_test_page_names_the_printer_the_time_and_the_details(test_page: Path) -> None:
    assert_a4(test_page, pages_expected=1)
    text = text_of(test_page)
    for expected in (
        "Halaman Uji Printer",
        "Printer test page",
        f"Printer {PRINTER}",
        "Waktu / Time 23-11-2026 06:28 WIB",
        "Antrean / Queue kantor-a4",
        "Model HP LaserJet Pro M404",
        "Kios / Kiosk kios-sukamaju-01",
        "Garis tepi harus terlihat lengkap; kotak grid 10 mm.",
        "All edges must be visible; grid squares are 10 mm.",
    ):
        assert expected in text, expected
    # The QR code's contents are printed beside it, for a technician without a phone.
    assert f"APM-KIOSK-TEST|{PRINTER}|2026-11-23T06:28:41+07:00" in text.replace("| ", "|")


def test_the_test_page_qr_code_scans_to_its_payload(test_page: Path) -> None:
    [png] = render(test_page)
    assert qr_codes(png) == [f"APM-KIOSK-TEST|{PRINTER}|2026-11-23T06:28:41+07:00"]


def test_the_time_shows_the_kiosks_zone_and_no_zone_when_it_has_none(tmp_path: Path) -> None:
    wita = datetime(2026, 11, 23, 7, 28, tzinfo=ZoneInfo("Asia/Makassar"))
    with_zone = save(pages.test_page_pdf("lp0", [], wita), tmp_path, "wita")
    assert "Waktu / Time 23-11-2026 07:28 WITA" in text_of(with_zone)
    naive = save(pages.test_page_pdf("lp0", [], datetime(2026, 1, 2, 3, 4)), tmp_path, "naive")
    assert re.search(r"Waktu / Time 02-01-2026 03:04 Isi kode QR", text_of(naive))


def test_the_grid_squares_are_10_mm_and_the_corner_marks_5_mm_from_the_edges(
    test_page: Path,
) -> None:
    [png] = render(test_page)
    image = Image.open(png).convert("RGB")
    width, height = image.size
    assert abs(width - 210 * PX_PER_MM) <= 1 and abs(height - 297 * PX_PER_MM) <= 1
    # Grid lines (light blue) crossed by a row of pixels below the text panel.
    y = round(245 * PX_PER_MM)  # between two horizontal lines
    blue = [x for x in range(width) if _bluish(rgb(image, x, y))]
    lines = [x for x in blue if x - 1 not in blue]
    assert len(lines) == 18  # 20 mm to 190 mm
    gaps_mm = [(b - a) / PX_PER_MM for a, b in pairwise(lines)]
    assert all(abs(gap - 10) < 0.5 for gap in gaps_mm), gaps_mm
    assert abs(lines[0] / PX_PER_MM - 20) < 0.6
    # Each corner: the mark's angle 5 mm from both edges, nothing nearer the edges.
    for corner_x, corner_y in ((5, 5), (205, 5), (5, 292), (205, 292)):
        x, y = round(corner_x * PX_PER_MM), round(corner_y * PX_PER_MM)
        assert any(dark(rgb(image, x + dx, y + dy)) for dx in (-1, 0) for dy in (-1, 0))
    for x, y in ((3, 3), (207, 3), (3, 294), (207, 294), (3, 150)):
        assert not dark(rgb(image, round(x * PX_PER_MM), round(y * PX_PER_MM)), below=250)


def _bluish(pixel: tuple[int, ...]) -> bool:
    red, _, blue = pixel[:3]
    return blue > red + 15


def test_the_top_ruler_has_1_mm_ticks_longer_5_mm_ticks_and_labelled_cm(test_page: Path) -> None:
    dpi = 300
    [png] = render(test_page, dpi)
    image = Image.open(png).convert("L")
    per_mm = dpi / 25.4

    def ticks_crossing(mm_from_top: float) -> int:
        """Ticks crossing a row of pixels between 20 and 190 mm from the left edge."""
        y = round(mm_from_top * per_mm)
        row = [grey(image, x, y) < 200 for x in range(image.width)]
        span = range(round(19.5 * per_mm), round(190.5 * per_mm))
        return sum(1 for x in span if row[x] and not row[x - 1])

    assert ticks_crossing(11) == 171  # every mm from 20 to 190 (base line at 12 mm)
    assert ticks_crossing(9) == 35  # every 5 mm
    assert ticks_crossing(7.5) == 18  # every cm
    labels = {w.text for w in words(test_page) if w.y_max < 17 * pages.MM}
    assert {"cm", *(str(n) for n in range(2, 21))} <= labels


def test_many_details_and_a_long_printer_name_stay_on_the_one_page(tmp_path: Path) -> None:
    name = "Printer dengan nama yang sangat panjang sekali " * 5
    details = [(f"Keterangan {n}", f"nilai panjang untuk baris nomor {n} " * 3) for n in range(40)]
    pdf = save(pages.test_page_pdf(name, details, NOW), tmp_path, "crowded")
    assert_a4(pdf, pages_expected=1)
    text = text_of(pdf)
    assert re.search(r"\(\+\d+ baris lagi / more rows\)", text)
    assert "Keterangan 0 nilai panjang untuk baris nomor 0" in text
    assert "All edges must be visible; grid squares are 10 mm." in text
    # Apart from the rulers' numbers, every word is inside the white panel.
    for word in words(pdf):
        if word.text not in ("cm", *(str(n) for n in range(2, 30))):
            assert 24 * pages.MM < word.x_min < word.x_max < 186 * pages.MM, word
            assert 26 * pages.MM < word.y_min < word.y_max < 297 * pages.MM, word
    [png] = render(pdf)
    [payload] = qr_codes(png)
    assert payload.startswith("APM-KIOSK-TEST|Printer dengan nama")
    assert payload.endswith("|2026-11-23T06:28:41+07:00")


# ---------------------------------------------------------------------------- proof of submission


def test_the_proof_carries_everything_the_receipt_does(tmp_path: Path) -> None:
    pdf = save(pages.proof_of_submission_pdf(receipt(), NOW), tmp_path, "proof")
    assert_a4(pdf, pages_expected=1)
    text = text_of(pdf)
    in_order = [
        "PEMERINTAH DESA SUKAMAJU",
        "Kec. Tambakboyo, Kabupaten Tuban",
        "TANDA TERIMA PERMOHONAN",
        "Tanda terima / Proof of submission",
        "Layanan Surat Keterangan Domisili",
        "Tanggal 23-11-2026 06:28",
        "Nama Siti Rahayu",
        "NIK 3523********0001",
        "Kode ambil 1234-5678-9012",
        "Kode pelacakan / Tracking code 231126-0042",
        " ".join(FOOTER),
        "Dicetak / Printed: 23-11-2026 06:28 WIB",
        "Halaman / Page 1",
    ]
    positions = [text.find(part) for part in in_order]
    assert -1 not in positions, [p for p, at in zip(in_order, positions, strict=True) if at < 0]
    assert positions == sorted(positions)


def test_the_proofs_qr_code_scans_and_is_at_least_35_mm(tmp_path: Path) -> None:
    pdf = save(pages.proof_of_submission_pdf(receipt(), NOW), tmp_path, "proof")
    [png] = render(pdf)
    assert qr_codes(png) == ["APM1:AMBIL:123456789012"]
    # The QR code is all that is drawn between the tracking code and the note under it.
    found = words(pdf)
    code_bottom = next(w.y_max for w in found if w.text == "231126-0042")
    note_top = next(w.y_min for w in found if w.text == "Pickup")
    image = Image.open(png).convert("L")
    top, bottom = round(code_bottom / 72 * DPI) + 2, round(note_top / 72 * DPI) - 2
    columns = [
        x for x in range(image.width) if any(grey(image, x, y) < 128 for y in range(top, bottom))
    ]
    rows = [
        y for y in range(top, bottom) if any(grey(image, x, y) < 128 for x in range(image.width))
    ]
    width_mm = (columns[-1] - columns[0] + 1) / PX_PER_MM
    height_mm = (rows[-1] - rows[0] + 1) / PX_PER_MM
    assert 35 <= width_mm <= 60 and abs(width_mm - height_mm) < 1, (width_mm, height_mm)
    centre_mm = (columns[0] + columns[-1]) / 2 / PX_PER_MM
    assert abs(centre_mm - 105) < 1  # centred on the page


def test_a_long_receipt_flows_on_to_more_pages_with_every_row_readable(tmp_path: Path) -> None:
    long = long_receipt()
    pdf = save(pages.proof_of_submission_pdf(long, NOW), tmp_path, "long")
    count = assert_a4(pdf)
    assert count >= 2
    text = body_text(pdf)
    for label, value in long.rows:
        assert f"{label} {' '.join(value.split())}" in text, label
    assert " ".join(FOOTER) in text
    per_page = page_texts(pdf)
    assert len(per_page) == count
    for number, page in enumerate(per_page, start=1):
        assert f"Dicetak / Printed: 23-11-2026 06:28 WIB Halaman / Page {number}" in page
    # Nothing runs off the paper or into the margins (20 mm at the sides).
    for word in words(pdf):
        assert 19 * pages.MM <= word.x_min < word.x_max <= 191 * pages.MM, word
        assert 10 * pages.MM <= word.y_min < word.y_max <= 287 * pages.MM, word
    # The tracking code and its QR code stay together on the last page, and scan.
    last_png = render(pdf)[-1]
    assert "231126-0042" in per_page[-1]
    assert qr_codes(last_png) == ["APM1:AMBIL:123456789012"]


def test_a_value_longer_than_a_page_still_prints_whole(tmp_path: Path) -> None:
    value = " ".join(f"kata{number}" for number in range(3000))
    pdf = save(
        pages.proof_of_submission_pdf(receipt(rows=[("Catatan", value)]), NOW), tmp_path, "huge"
    )
    assert assert_a4(pdf) >= 2
    assert value in body_text(pdf)


def test_odd_text_is_printed_plainly_and_missing_letters_degrade(tmp_path: Path) -> None:
    rows = [
        ("Nama", "Ṭoha Łódź Ñúñez 中 e\u0301"),
        ("Catatan", "tab\there\nbaris baru"),
        ("Alamat", "Jl. <b>Mawar</b> & Melati"),
    ]
    odd = receipt(rows=rows, footer=["Terima kasih — ‘sampai jumpa’"])
    with_dejavu = save(pages.proof_of_submission_pdf(odd, NOW), tmp_path, "dejavu")
    text = text_of(with_dejavu)
    assert "Nama Ṭoha Łódź Ñúñez ? é" in text
    assert "Catatan tab here baris baru" in text
    assert "Alamat Jl. <b>Mawar</b> & Melati" in text  # plain text, never markup
    assert "Terima kasih — ‘sampai jumpa’" in text
    # Without DejaVu (an empty font folder) Helvetica and its Latin-1 letters remain.
    helvetica = pages.proof_of_submission_pdf(odd, NOW, font_dir=tmp_path / "no-fonts")
    text = text_of(save(helvetica, tmp_path, "helvetica"))
    assert "Nama Toha Lódz Ñúñez ? é" in text
    assert "Terima kasih — ‘sampai jumpa’" in text
    page = pages.test_page_pdf("Ṭoko 中", [("Łódź", "ok")], NOW, font_dir=tmp_path / "no-fonts")
    assert "Printer Toko ?" in text_of(save(page, tmp_path, "helvetica_page"))


def test_a_receipt_without_header_rows_or_qr_still_prints(tmp_path: Path) -> None:
    bare = Receipt(title="TANDA TERIMA", tracking_code="K01-0007")
    pdf = save(pages.proof_of_submission_pdf(bare, NOW), tmp_path, "bare")
    assert_a4(pdf, pages_expected=1)
    assert "TANDA TERIMA Tanda terima / Proof of submission" in text_of(pdf)
    assert "K01-0007" in text_of(pdf)
    assert qr_codes(render(pdf)[0]) == []


def test_the_same_input_gives_the_same_bytes() -> None:
    assert pages.proof_of_submission_pdf(receipt(), NOW) == pages.proof_of_submission_pdf(
        receipt(), NOW
    )
    assert pages.test_page_pdf(PRINTER, DETAILS, NOW) == pages.test_page_pdf(PRINTER, DETAILS, NOW)
    later = NOW.replace(minute=29)
    assert pages.test_page_pdf(PRINTER, DETAILS, NOW) != pages.test_page_pdf(
        PRINTER, DETAILS, later
    )


def test_wrong_arguments_get_a_clear_error() -> None:
    with pytest.raises(TypeError, match="Receipt"):
        pages.proof_of_submission_pdf("231126-0042", NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="datetime"):
        pages.proof_of_submission_pdf(receipt(), "2026-11-23")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"\(label, value\) pairs"):
        pages.test_page_pdf(PRINTER, [("Model",)], NOW)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="printer_name"):
        pages.test_page_pdf(None, DETAILS, NOW)  # type: ignore[arg-type]


def test_importing_the_module_does_not_load_reportlab() -> None:
    """reportlab takes up to 0.4 s to import; the kiosk must start without paying it."""
    code = (
        "import sys, printer.pdf_pages; print('reportlab' in sys.modules, 'qrcode' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60
    )
    assert done.stdout.split() == ["False", "False"], done.stderr
