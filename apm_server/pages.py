"""The district service's HTML pages and CSV: what staff open in a browser.

The village operator's back-office page, the district's fleet page, the figures as CSV,
and the page a letter's QR code opens on anyone's phone. Plain HTML, no script.
"""

from __future__ import annotations

import csv
import hmac
import html
import io
import secrets
from urllib.parse import quote

from apm_api.models import API_PREFIX, Figures, FiguresRow, Fleet
from apm_server import demo_data
from apm_server.letter import indonesian_date
from apm_server.office import Office
from apm_server.store import RequestRow, mask_nik, wib


def figures_csv(figures: Figures) -> str:
    """One line a kiosk and one for the village (kiosk_id empty), with a header."""
    out = io.StringIO()
    fields = list(FiguresRow.model_fields)
    writer = csv.writer(out)
    writer.writerow(["period_from", "period_to", *fields])
    for row in figures.rows:
        values = row.model_dump()
        writer.writerow(
            [figures.period_from, figures.period_to]
            + ["" if values[f] is None else values[f] for f in fields]
        )
    return out.getvalue()


# A field every back-office form carries: a page of another site cannot read it, so it
# cannot make the operator's browser sign or reject (the browser would send the Basic login).
FORM_GUARD = hmac.new(demo_data.ADMIN_TOKEN.encode(), b"back-office form", "sha256").hexdigest()
OFFICE_PAGE = API_PREFIX + "/admin/office"
OFFICE_PAGE_ROWS = 200  # the newest requests; older ones through apm-server list
STATUS_WORDS = {
    "under_review": "diperiksa",
    "awaiting_signature": "menunggu tanda tangan",
    "ready": "siap dicetak",
    "collected": "sudah dicetak",
    "rejected": "ditolak",
    "cancelled": "dibatalkan",
    "incomplete": "belum lengkap",
}


def office_page(
    rows: list[RequestRow],
    jobs: dict[str, str | None],
    village: str,
    said: str,
    service_names: dict[str, str],
) -> str:
    """Incoming requests, newest first, NIK masked; sign or reject those waiting."""
    e = html.escape
    lines = []
    for r in rows:
        state = STATUS_WORDS.get(r.status, r.status)
        if r.id in jobs:
            state = f"gagal ditandatangani: {jobs[r.id]}" if jobs[r.id] else "sedang ditandatangani"
        actions = ""
        if r.status in ("under_review", "awaiting_signature") and jobs.get(r.id, "") is not None:
            target = f"{OFFICE_PAGE}/requests/{quote(r.id, safe='')}"
            guard = f"<input type='hidden' name='guard' value='{FORM_GUARD}'>"
            actions = (
                f"<form method='post' action='{target}/sign'>{guard}"
                "<button>Tandatangani</button></form>"
                f"<form method='post' action='{target}/reject'>{guard}"
                "<input name='reason' placeholder='alasan penolakan' required maxlength='500'>"
                "<button>Tolak</button></form>"
            )
        fields = "<br>".join(f"{e(k)}: {e(v)}" for k, v in r.fields.items())
        lines.append(
            "<tr>"
            + "".join(
                f"<td>{c}</td>"
                for c in (
                    e(r.tracking_code),
                    e(wib(r.created_at).strftime("%d-%m-%Y %H.%M")),
                    e(service_names.get(r.service_code, r.service_code)),
                    e(mask_nik(r.nik)),
                    fields,
                    e(state) + (f"<br>{e(r.reject_reason)}" if r.reject_reason else ""),
                    actions,
                )
            )
            + "</tr>"
        )
    said = f"<p class='said'>{e(said)}</p>" if said else ""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Nomor", "Masuk (WIB)", "Layanan", "NIK", "Isian", "Keadaan", "Tindakan")
    )
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        f"<title>Kantor Desa {e(village)}: permohonan</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.3em .6em;vertical-align:top}"
        "form{display:inline-block;margin:.2em}.said{background:#e6f4ea;padding:.5em}"
        "</style></head><body>"
        f"<h1>Permohonan surat, Desa {e(village)}</h1>{said}"
        f"<table><tr>{head}</tr>{''.join(lines)}</table></body></html>"
    )


def _version_cell(version: str | None, components: dict[str, str]) -> str:
    """The kiosk's version, and what it runs on in a smaller line (Python, Qt, OS)."""
    cell = html.escape(version or "-")
    if components:
        parts = ", ".join(f"{name} {value}" for name, value in sorted(components.items()))
        cell += f"<br><small>{html.escape(parts)}</small>"
    return cell


def fleet_page(fleet: Fleet) -> str:
    """The fleet as a plain page for district staff: late kiosks first, then by id."""
    rows = []
    for k in sorted(fleet.kiosks, key=lambda k: (not k.late, k.kiosk_id)):
        state = "dicabut" if k.revoked else ("TERLAMBAT" if k.late else "baik")
        devices = "<br>".join(
            html.escape(f"{d.role}: {d.availability}" + (f" ({d.paper})" if d.paper else ""))
            + (f" &ndash; {html.escape(d.detail)}" if d.detail else "")
            for d in k.devices
        )
        seen = wib(k.last_seen).strftime("%d-%m-%Y %H.%M WIB") if k.last_seen else "-"
        cells = [
            html.escape(k.kiosk_id),
            html.escape(k.label),
            state,
            seen,
            _version_cell(k.software_version, k.components),
            html.escape(k.screen or "-"),
            devices or "-",
            "kertas menipis" if k.paper_low else "",
            str(k.outbox_pending if k.outbox_pending is not None else "-"),
            str(k.dead_letters if k.dead_letters is not None else "-"),
        ]
        style = ' class="late"' if k.late else ""
        rows.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Kios", "Nama", "Keadaan", "Terakhir terlihat", "Versi", "Layar",
                  "Perangkat", "Kertas", "Antrean", "Gagal terkirim")
    )  # fmt: skip
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='60'><title>Armada APM</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.3em .6em;vertical-align:top}"
        "tr.late{background:#fde2e1}</style></head><body>"
        f"<h1>Armada APM</h1><p>{len(fleet.kiosks)} kios; terlambat bila tidak terdengar "
        f"lebih dari {fleet.late_after_s} detik.</p>"
        f"<table><tr>{head}</tr>{''.join(rows)}</table></body></html>"
    )


STATUS_LABELS = {
    "incomplete": "Belum lengkap",
    "under_review": "Sedang diperiksa",
    "awaiting_signature": "Menunggu tanda tangan Kepala Desa",
    "ready": "Sah, telah ditandatangani",
    "collected": "Sah, telah ditandatangani dan dicetak",
    "cancelled": "Dibatalkan",
    "rejected": "Ditolak",
}


def verify_page(office: Office, request_id: str, code: str) -> tuple[int, str]:
    """The page the letter's QR code opens (on anyone's phone): is this letter genuine?"""
    row = office.store.request(request_id)
    if row is None or not secrets.compare_digest(row.tracking_code, code):
        page = (
            "<h1>Surat tidak ditemukan</h1>"
            "<p>Kode verifikasi tidak cocok dengan surat mana pun dari desa ini.</p>"
        )
        return 404, _html_page(page)
    service = office.services.get(row.service_code)
    resident = office.store.resident(row.nik)
    village = office.village_of(row.village_code)
    rows = [
        ("Nomor surat", row.letter_number or "(belum ditandatangani)"),
        ("Tanggal", indonesian_date(wib(row.signed_at)) if row.signed_at else "-"),
        ("Perihal", service.name.id if service else row.service_code),
        ("Pemohon", f"{resident.name if resident else '-'} (NIK {mask_nik(row.nik)})"),
        ("Penanda tangan", f"{village.head_name}, Kepala Desa {village.name}"),
        ("Status", STATUS_LABELS.get(row.status, row.status)),
        ("SHA-256 dokumen", row.doc_sha256 or "-"),
    ]
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    page = (
        f"<h1>Verifikasi surat Desa {html.escape(village.name)}</h1>"
        f"<p>{html.escape(f'Kecamatan {village.district}, {village.regency}')}</p>"
        f"<table>{table}</table>"
        "<p class='note'>Cocokkan isi surat yang Anda pegang dengan data di atas. "
        "Berkas PDF asli memuat tanda tangan elektronik yang dapat diperiksa; "
        "SHA-256 di atas adalah sidik berkas tersebut.</p>"
    )
    return 200, _html_page(page)


def _html_page(body: str) -> str:
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Verifikasi surat</title><style>"
        "body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"
        "th{text-align:left;padding-right:1em;vertical-align:top}"
        "td{overflow-wrap:anywhere}.note{color:#555;font-size:90%}"
        f"</style></head><body>{body}</body></html>"
    )
