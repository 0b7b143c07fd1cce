"""Messages the flow decides to show, in Bahasa Indonesia first, with English.

Static labels live in the QML (through qsTr); these are the messages whose choice is
logic (which error, which advice), so they are tested without Qt.

A third language needs no code: `scripts/translations` copies every message written
here as `t("...", "...")` into the Qt translation files (context "flow"), and the view
model says them through the `.qm` (`said_in`). A message with values is a template
constant filled in by `fill`, so that a translation file translates the template and
the values apart.
"""

from __future__ import annotations

from apm_api.models import Text, Translate, fill, said_in, t
from apm_api.nik import NikProblem

# The view model says the flow's messages through these (kiosk.flow.view).
__all__ = ["Translate", "fill", "said_in", "t"]


def nik_problem(problem: NikProblem) -> Text:
    """What is wrong with the NIK the citizen typed (16 digits, province, date of birth)."""
    return problem.text


PIN_INVALID = t("PIN harus 6 angka.", "The PIN must be 6 digits.")
UNKNOWN_CARD = t(
    "Kartu ini belum terdaftar di desa. Silakan masuk dengan NIK dan PIN.",
    "This card is not registered with the village. Please sign in with NIK and PIN.",
)
RANDOM_UID = t(
    "Kartu ini tidak dapat dikenali lewat pembaca kartu. Silakan masuk dengan NIK dan PIN.",
    "This card cannot be recognised by the reader. Please sign in with NIK and PIN.",
)
RANDOM_UID_SEEN = t(
    "Kartu ini tampaknya memberi nomor yang berbeda setiap kali ditempelkan, sehingga tidak "
    "dapat dikenali. Silakan masuk dengan NIK dan PIN.",
    "This card seems to give a different number at every tap, so it cannot be recognised. "
    "Please sign in with NIK and PIN.",
)
CARD_REMOVED = t(
    "Kartu terangkat terlalu cepat. Tempelkan lagi dan tahan sebentar.",
    "The card was lifted too soon. Tap it again and hold it still.",
)
CARD_UNREADABLE = t(
    "Kartu tidak terbaca. Coba lagi, atau masuk dengan NIK dan PIN.",
    "The card could not be read. Try again, or sign in with NIK and PIN.",
)
WRONG_PIN = t("NIK atau PIN salah.", "Wrong NIK or PIN.")


LOCKED = t(
    "Terlalu banyak PIN salah. NIK ini dikunci sementara; coba lagi dalam {left}.",
    "Too many wrong PINs. This NIK is locked for now; try again in {left}.",
)


PINS_HELD = t(
    "Terlalu banyak PIN salah di kios ini. Tempelkan e-KTP Anda, atau coba NIK dan PIN lagi "
    "dalam {left}.",
    "Too many wrong PINs at this kiosk. Tap your e-KTP, or try NIK and PIN again in {left}.",
)


def locked(seconds: int, template: Text = LOCKED) -> Text:
    """A NIK locked after wrong PINs (or, with PINS_HELD, every PIN check at this kiosk);
    said again every second as the time runs down."""
    return fill(template, left=duration(seconds))


LOCK_OVER = t(
    "NIK ini tidak dikunci lagi. Silakan masuk dengan NIK dan PIN.",
    "This NIK is no longer locked. Please sign in with NIK and PIN.",
)


# One unit of a duration, for one and for more (English needs both).
HOURS = (t("{n} jam", "{n} hour"), t("{n} jam", "{n} hours"))
MINUTES = (t("{n} menit", "{n} minute"), t("{n} menit", "{n} minutes"))
SECONDS = (t("{n} detik", "{n} second"), t("{n} detik", "{n} seconds"))
TWO_UNITS = t("{first} {second}", "{first} {second}")


def duration(seconds: int) -> Text:
    """'1 menit 45 detik' and '1 minute 45 seconds'; hours and minutes from an hour on."""
    seconds = max(0, seconds)
    if seconds >= 3600:
        parts = [(seconds // 3600, HOURS), (seconds % 3600 // 60, MINUTES)]
    else:
        parts = [(seconds // 60, MINUTES), (seconds % 60, SECONDS)]
    shown = [fill(unit[n != 1], n=str(n)) for n, unit in parts if n] or [fill(SECONDS[1], n="0")]
    if len(shown) == 1:
        return shown[0]
    return fill(TWO_UNITS, first=shown[0], second=shown[1])


OFFLINE_TITLE = t("Tidak ada koneksi", "No connection")
OFFLINE_MESSAGE = t(
    "Kios tidak dapat terhubung ke kantor desa. Coba lagi sebentar lagi.",
    "The kiosk cannot reach the village office. Please try again shortly.",
)
SERVER_TITLE = t("Layanan sedang gangguan", "Service disruption")
SERVER_MESSAGE = t(
    "Sistem kantor desa sedang bermasalah. Coba lagi sebentar lagi atau hubungi petugas.",
    "The village office system has a problem. Try again shortly or ask an officer.",
)
SESSION_EXPIRED = t(
    "Sesi Anda berakhir. Silakan masuk lagi.", "Your session has ended. Please sign in again."
)
SUBMIT_FAILED_TITLE = t("Permohonan belum terkirim", "Request not sent")
REJECTED_TITLE = t("Permohonan ditolak", "Request rejected")
DOWNLOAD_FAILED_TITLE = t("Surat belum dapat diunduh", "The letter cannot be downloaded yet")
DOWNLOAD_FAILED_MESSAGE = t(
    "Surat Anda sudah ditandatangani, tetapi belum dapat diunduh. Coba lagi, atau cetak "
    "nanti dengan tanda terima Anda.",
    "Your letter is signed but cannot be downloaded yet. Try again, or print it later "
    "with your receipt.",
)
PRINTER_FAILED_TITLE = t("Printer bermasalah", "Printer problem")


# Device details are short English for technicians; a citizen reads these instead.
PRINTER_PROBLEMS = [
    ("paper out", t("kertas habis", "out of paper")),
    ("cover open", t("tutup printer terbuka", "printer cover open")),
    ("unplugged", t("printer tidak terhubung", "printer not connected")),
    ("not connected", t("printer tidak terhubung", "printer not connected")),
    ("no-device", t("printer tidak terhubung", "printer not connected")),
]
PRINTER_PROBLEM_UNKNOWN = t("printer bermasalah", "printer fault")


def printer_problem(detail: str) -> Text:
    lowered = detail.lower()
    return next((text for key, text in PRINTER_PROBLEMS if key in lowered), PRINTER_PROBLEM_UNKNOWN)


PRINTER_FAILED = t(
    "Surat belum tercetak: {problem}. Hubungi petugas, lalu coba lagi. "
    "Permohonan Anda aman dan dapat dicetak nanti.",
    "The letter was not printed: {problem}. Ask an officer, then try again. "
    "Your request is safe and can be printed later.",
)


def printer_failed(detail: str) -> Text:
    return fill(PRINTER_FAILED, problem=printer_problem(detail))


RECEIPT_FAILED = t(
    "Struk tanda terima tidak dapat dicetak. Catat nomor permohonan Anda.",
    "The receipt could not be printed. Please note your request number.",
)
RECEIPT_WAITING = t(
    "Printer struk sedang menunggu kertas atau perbaikan. Struk tercetak begitu printer siap.",
    "The receipt printer is waiting for paper or a fix. The receipt prints as soon as it is ready.",
)
RECEIPT_PRINTING = t(
    "Struk sedang dicetak. Surat dicetak begitu ditandatangani Kepala Desa; Anda juga boleh "
    "pulang dan mencetaknya nanti dengan e-KTP Anda.",
    "Your receipt is printing. The letter prints as soon as the village head signs it; you "
    "may also go home and print it later with your e-KTP.",
)
RECEIPT_PRINTED = t(
    "Struk sudah dicetak. Surat dicetak begitu ditandatangani Kepala Desa; Anda juga boleh "
    "pulang dan mencetaknya nanti dengan e-KTP Anda.",
    "Your receipt is printed. The letter prints as soon as the village head signs it; you "
    "may also go home and print it later with your e-KTP.",
)
FINGERPRINT_MISMATCH = t(
    "Sidik jari tidak cocok dengan e-KTP. Coba lagi, atau masuk dengan NIK dan PIN.",
    "The fingerprint does not match the e-KTP. Try again, or sign in with NIK and PIN.",
)
NOT_A_RESIDENT = t(
    "NIK pada e-KTP ini tidak terdaftar sebagai warga desa ini. Silakan hubungi petugas.",
    "The NIK on this e-KTP is not registered as a resident here. Please ask an officer.",
)
NOT_READY_TITLE = t("Kios belum siap", "Kiosk not ready")
NOT_READY_MESSAGE = t(
    "Kios sedang menyiapkan layanan. Coba lagi sebentar lagi.",
    "The kiosk is preparing its services. Please try again shortly.",
)
UNEXPECTED = t(
    "Terjadi kesalahan. Coba lagi atau hubungi petugas.",
    "Something went wrong. Try again or ask an officer.",
)

STATUS_LABELS: dict[str, Text] = {
    "incomplete": t("Belum lengkap", "Incomplete"),
    "under_review": t("Diperiksa petugas", "Being reviewed"),
    "awaiting_signature": t("Menunggu tanda tangan Kepala Desa", "Awaiting the head's signature"),
    "ready": t("Siap dicetak", "Ready to print"),
    "collected": t("Sudah dicetak", "Printed"),
    "cancelled": t("Dibatalkan", "Cancelled"),
    "rejected": t("Ditolak", "Rejected"),
    "queued": t("Tersimpan, menunggu jaringan", "Saved, waiting for the network"),
    "failed": t("Tidak diterima kantor desa", "Not accepted by the village office"),
}

OFFLINE_IDENTIFIED_CARD = t(
    "Kios sedang tidak terhubung. Permohonan Anda disimpan dan dikirim otomatis; "
    "petugas desa akan memeriksa identitas Anda.",
    "The kiosk is offline. Your request will be saved and sent automatically; "
    "a village officer will check your identity.",
)
OFFLINE_IDENTIFIED_NIK = t(
    "Kios sedang tidak terhubung, jadi PIN tidak dapat diperiksa. Permohonan Anda disimpan "
    "dan dikirim otomatis; petugas desa akan memeriksa identitas Anda.",
    "The kiosk is offline, so the PIN cannot be checked. Your request will be saved and "
    "sent automatically; a village officer will check your identity.",
)
NOT_READY_OFFLINE = t(
    "Kios belum pernah terhubung ke kantor desa, jadi daftar layanan belum ada. Coba lagi nanti.",
    "The kiosk has never reached the village office, so it has no list of services yet. "
    "Please try again later.",
)
QUEUED_MESSAGE = t(
    "Permohonan Anda tersimpan di kios dan akan dikirim otomatis saat jaringan kembali. "
    "Simpan struk: tempelkan e-KTP atau pindai kode QR-nya untuk mencetak surat nanti.",
    "Your request is saved at the kiosk and will be sent automatically when the network "
    "returns. Keep the receipt: tap your e-KTP or scan its QR code to print the letter later.",
)
SAVE_FAILED_MESSAGE = t(
    "Permohonan tidak dapat disimpan di kios. Hubungi petugas.",
    "The request could not be saved at the kiosk. Please ask an officer.",
)
PICKUP_CODE_INVALID = t(
    "Kode ambil terdiri dari 12 angka, tercetak di struk di bawah kode QR.",
    "The pickup code is 12 digits, printed on the receipt below the QR code.",
)
PICKUP_CODE_UNKNOWN = t(
    "Kode ambil tidak ditemukan di kios ini. Periksa lagi angkanya.",
    "That pickup code is not known at this kiosk. Please check the digits.",
)
PICKUP_LOCKED = t(
    "Terlalu banyak kode salah. Silakan hubungi petugas desa.",
    "Too many wrong codes. Please ask a village officer.",
)
VERIFY_FAILED_TITLE = t("Surat tidak dapat diverifikasi", "The letter cannot be verified")
VERIFY_FAILED_MESSAGE = t(
    "Tanda tangan elektronik pada surat ini tidak dapat dipastikan keasliannya, jadi surat "
    "tidak dicetak. Petugas desa sudah dapat melihat catatannya; silakan hubungi petugas.",
    "The electronic signature on this letter could not be confirmed as genuine, so it was "
    "not printed. Please ask a village officer.",
)
IDENTIFY_SLOW = t(
    "Kantor desa belum menjawab. Coba lagi, atau lanjutkan tanpa koneksi.",
    "The village office has not answered. Try again, or go on offline.",
)
PRINT_TIMEOUT_TITLE = t("Printer tidak menjawab", "The printer does not answer")
PRINT_TIMEOUT_MESSAGE = t(
    "Surat belum tercetak. Permohonan Anda aman: hubungi petugas, atau cetak nanti dengan "
    "struk Anda.",
    "The letter has not been printed. Your request is safe: ask an officer, or print it "
    "later with your receipt.",
)
REPRINT_LIMIT = t(
    "Surat ini sudah dicetak dan batas cetak ulang sudah tercapai. Hubungi petugas desa.",
    "This letter was printed already and may not be printed again here. Ask an officer.",
)
PICKUP_TITLE = t("Ambil surat", "Collect a letter")
OFFLINE_BANNER = t(
    "Jaringan ke kantor desa sedang terputus. Permohonan tetap diterima dan dikirim otomatis.",
    "The link to the village office is down. Requests are still taken and sent automatically.",
)

OUT_OF_SERVICE_TITLE = t("Kios sedang tidak melayani", "This kiosk is closed for now")
OUT_OF_SERVICE_ADVICE = t(
    "Silakan datang ke kantor desa pada jam pelayanan.",
    "Please go to the village office during its opening hours.",
)
SUPPORT_PHONE = t("Informasi: {phone}", "Information: {phone}")


# What voice guidance says on each screen (kiosk.voice); the attract screen stays quiet,
# and a notice is read as it is shown.
INSTRUCTIONS = {
    "identify": t(
        "Tempelkan e-KTP Anda pada pembaca kartu, atau ketik NIK dan PIN Anda.",
        "Tap your e-KTP on the card reader, or type your NIK and PIN.",
    ),
    "identifying": t(
        "Mohon tunggu, data Anda sedang diperiksa.", "Please wait, checking your details."
    ),
    "services": t("Pilih surat yang Anda perlukan.", "Choose the letter you need."),
    "form": t("Isi formulir, lalu tekan Lanjut.", "Fill in the form, then press Next."),
    "confirm": t(
        "Periksa permohonan Anda, lalu tekan Kirim permohonan.",
        "Check your request, then press Send request.",
    ),
    "submitting": t(
        "Mohon tunggu, permohonan sedang dikirim.", "Please wait, sending your request."
    ),
    "waiting": t(
        "Permohonan terkirim. Surat dicetak setelah ditandatangani Kepala Desa.",
        "Your request is sent. The letter prints once the village head signs it.",
    ),
    "printing": t(
        "Surat Anda sedang dicetak. Mohon tunggu.", "Your letter is printing. Please wait."
    ),
    "done": t(
        "Terima kasih. Silakan ambil surat dan struk Anda.",
        "Thank you. Please take your letter and your receipt.",
    ),
    "pickup": t(
        "Ketik kode ambil dari struk, atau pindai kode QR pada struk.",
        "Type the pickup code from your receipt, or scan the QR code on it.",
    ),
    "requests": t("Pilih surat yang ingin dicetak.", "Choose the letter to print."),
}
