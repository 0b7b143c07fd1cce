<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="id">
<context>
    <name>AttractScreen</name>
    <message>
        <source>Mulai: sentuh layar</source>
        <translation>Start: touch the screen</translation>
    </message>
    <message>
        <source>Pemerintah Desa %1</source>
        <translation>Village Government of %1</translation>
    </message>
    <message>
        <source>Anjungan Pelayanan Mandiri</source>
        <translation>Self-Service Kiosk</translation>
    </message>
    <message>
        <source>Layanan Surat Mandiri</source>
        <translation>Self-Service Letters</translation>
    </message>
    <message>
        <source>Surat keterangan, SKTM, pengantar SKCK dan lainnya, tanpa antre.</source>
        <translation>Certificates, low-income letters, police clearance cover letters and more, without queueing.</translation>
    </message>
    <message>
        <source>Sentuh layar untuk mulai</source>
        <translation>Touch the screen to start</translation>
    </message>
    <message>
        <source>atau tempelkan e-KTP Anda pada pembaca kartu</source>
        <translation>or tap your e-KTP on the card reader</translation>
    </message>
    <message>
        <source>Ambil surat dengan struk</source>
        <translation>Collect a letter with your receipt</translation>
    </message>
    <message>
        <source>Menyiapkan layanan…</source>
        <translation>Getting ready…</translation>
    </message>
    <message>
        <source>Huruf biasa</source>
        <translation>Normal text</translation>
    </message>
    <message>
        <source>Huruf besar</source>
        <translation>Large text</translation>
    </message>
    <message>
        <source>Warna biasa</source>
        <translation>Normal colours</translation>
    </message>
    <message>
        <source>Kontras tinggi</source>
        <translation>High contrast</translation>
    </message>
    <message>
        <source>Jam pelayanan kantor desa: %1</source>
        <translation>Village office desk hours: %1</translation>
    </message>
</context>
<context>
    <name>ConfirmScreen</name>
    <message>
        <source>Periksa kembali permohonan Anda</source>
        <translation>Check your request</translation>
    </message>
    <message>
        <source>Layanan</source>
        <translation>Service</translation>
    </message>
    <message>
        <source>Setelah dikirim, permohonan diperiksa dan ditandatangani Kepala Desa secara elektronik.</source>
        <translation>Once sent, the request is checked and signed electronically by the village head.</translation>
    </message>
    <message>
        <source>Ubah</source>
        <translation>Change</translation>
    </message>
    <message>
        <source>Kirim permohonan</source>
        <translation>Send request</translation>
    </message>
</context>
<context>
    <name>DoneScreen</name>
    <message>
        <source>Tidak puas</source>
        <translation>Unhappy</translation>
    </message>
    <message>
        <source>Kurang puas</source>
        <translation>Not quite happy</translation>
    </message>
    <message>
        <source>Puas</source>
        <translation>Happy</translation>
    </message>
    <message>
        <source>Sangat puas</source>
        <translation>Very happy</translation>
    </message>
    <message>
        <source>Terima kasih</source>
        <translation>Thank you</translation>
    </message>
    <message>
        <source>Nomor permohonan: %1</source>
        <translation>Request number: %1</translation>
    </message>
    <message>
        <source>Penilaian Anda sudah kami terima.</source>
        <translation>Thank you for your rating.</translation>
    </message>
    <message>
        <source>Bagaimana pelayanan hari ini?</source>
        <translation>How was our service today?</translation>
    </message>
    <message>
        <source>Nilai %1 dari 4: %2</source>
        <translation>Rating %1 of 4: %2</translation>
    </message>
    <message>
        <source>Selesai</source>
        <translation>Done</translation>
    </message>
</context>
<context>
    <name>FormScreen</name>
    <message>
        <source>Kembali</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Lanjut</source>
        <translation>Next</translation>
    </message>
    <message>
        <source> (boleh kosong)</source>
        <translation> (optional)</translation>
    </message>
</context>
<context>
    <name>Header</name>
    <message>
        <source>Desa %1</source>
        <translation>%1 Village</translation>
    </message>
    <message>
        <source>Anjungan Pelayanan Mandiri</source>
        <translation>Self-Service Kiosk</translation>
    </message>
    <message>
        <source>%1  ·  NIK %2</source>
        <translation>%1  ·  NIK %2</translation>
    </message>
    <message>
        <source>Kembali ke awal</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>IdentifyScreen</name>
    <message>
        <source>Tempelkan e-KTP Anda pada pembaca kartu</source>
        <translation>Tap your e-KTP on the card reader</translation>
    </message>
    <message>
        <source>Tahan kartu sampai layar berganti.</source>
        <translation>Hold the card still until the screen changes.</translation>
    </message>
    <message>
        <source>Ambil surat dengan struk</source>
        <translation>Collect a letter with your receipt</translation>
    </message>
    <message>
        <source>Atau masuk dengan NIK dan PIN</source>
        <translation>Or sign in with NIK and PIN</translation>
    </message>
    <message>
        <source>NIK (16 angka)</source>
        <translation>NIK (16 digits)</translation>
    </message>
    <message>
        <source>PIN (6 angka)</source>
        <translation>PIN (6 digits)</translation>
    </message>
    <message>
        <source>Masuk</source>
        <translation>Sign in</translation>
    </message>
</context>
<context>
    <name>IdentifyingScreen</name>
    <message>
        <source>Memeriksa data Anda…</source>
        <translation>Checking your details…</translation>
    </message>
</context>
<context>
    <name>IdleOverlay</name>
    <message>
        <source>Masih di sana?</source>
        <translation>Still there?</translation>
    </message>
    <message>
        <source>Layar kembali ke awal dalam %1 detik.</source>
        <translation>The screen starts over in %1 seconds.</translation>
    </message>
    <message>
        <source>Ya, lanjutkan</source>
        <translation>Yes, continue</translation>
    </message>
</context>
<context>
    <name>Keyboard</name>
    <message>
        <source>Huruf kapital</source>
        <translation>Capital letters</translation>
    </message>
    <message>
        <source>Hapus satu huruf</source>
        <translation>Delete one letter</translation>
    </message>
    <message>
        <source>Tanda hubung</source>
        <translation>Hyphen</translation>
    </message>
    <message>
        <source>spasi</source>
        <translation>space</translation>
    </message>
    <message>
        <source>Tutup</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <source>Hapus satu angka</source>
        <translation>Delete one digit</translation>
    </message>
    <message>
        <source>Hapus semua</source>
        <translation>Clear all</translation>
    </message>
</context>
<context>
    <name>NoticeScreen</name>
    <message>
        <source>Nomor permohonan: %1</source>
        <translation>Request number: %1</translation>
    </message>
    <message>
        <source>Coba lagi</source>
        <translation>Try again</translation>
    </message>
    <message>
        <source>Kembali ke awal</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>PickupScreen</name>
    <message>
        <source>Ambil surat</source>
        <translation>Collect a letter</translation>
    </message>
    <message>
        <source>Ketik 12 angka kode ambil yang tercetak di struk, di bawah kode QR. Atau pindai kode QR pada struk.</source>
        <translation>Type the 12-digit pickup code printed on your receipt, below the QR code. Or scan the QR code on the receipt.</translation>
    </message>
    <message>
        <source>Kode ambil (12 angka)</source>
        <translation>Pickup code (12 digits)</translation>
    </message>
    <message>
        <source>Punya e-KTP? Tempelkan saja pada pembaca kartu.</source>
        <translation>Have your e-KTP? Just tap it on the card reader.</translation>
    </message>
    <message>
        <source>Cari surat</source>
        <translation>Find my letter</translation>
    </message>
</context>
<context>
    <name>PrintingScreen</name>
    <message>
        <source>Mengunduh surat yang sudah ditandatangani…</source>
        <translation>Downloading the signed letter…</translation>
    </message>
    <message>
        <source>Memeriksa tanda tangan elektronik…</source>
        <translation>Checking the electronic signature…</translation>
    </message>
    <message>
        <source>Mencetak surat Anda…</source>
        <translation>Printing your letter…</translation>
    </message>
    <message>
        <source>Mengunduh</source>
        <translation>Download</translation>
    </message>
    <message>
        <source>Memeriksa</source>
        <translation>Check</translation>
    </message>
    <message>
        <source>Mencetak</source>
        <translation>Print</translation>
    </message>
    <message>
        <source>Nomor permohonan: %1</source>
        <translation>Request number: %1</translation>
    </message>
    <message>
        <source>Mohon tunggu di depan kios. Ambil surat Anda dari printer setelah selesai.</source>
        <translation>Please wait at the kiosk. Take your letter from the printer when it is done.</translation>
    </message>
</context>
<context>
    <name>RequestsScreen</name>
    <message>
        <source>Permohonan Anda</source>
        <translation>Your requests</translation>
    </message>
    <message>
        <source>Surat yang sudah ditandatangani Kepala Desa dapat dicetak sekarang.</source>
        <translation>Letters signed by the village head can be printed now.</translation>
    </message>
    <message>
        <source>Tidak ada permohonan untuk kode ini.</source>
        <translation>There is no request for this code.</translation>
    </message>
    <message>
        <source>Nomor permohonan: %1</source>
        <translation>Request number: %1</translation>
    </message>
    <message>
        <source>Cetak ulang</source>
        <translation>Print again</translation>
    </message>
    <message>
        <source>Cetak</source>
        <translation>Print</translation>
    </message>
</context>
<context>
    <name>ServicesScreen</name>
    <message>
        <source>Selamat datang, %1</source>
        <translation>Welcome, %1</translation>
    </message>
    <message>
        <source>Selamat datang</source>
        <translation>Welcome</translation>
    </message>
    <message>
        <source>Surat siap dicetak</source>
        <translation>Letters ready to print</translation>
    </message>
    <message>
        <source>Nomor permohonan %1 · sudah pernah dicetak · sentuh untuk mencetak ulang</source>
        <translation>Request number %1 · printed before · touch to print again</translation>
    </message>
    <message>
        <source>Nomor permohonan %1 · sentuh untuk mencetak</source>
        <translation>Request number %1 · touch to print</translation>
    </message>
    <message>
        <source>Pilih layanan</source>
        <translation>Choose a service</translation>
    </message>
    <message>
        <source>Permohonan Anda di kios ini</source>
        <translation>Your requests at this kiosk</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
</context>
<context>
    <name>SubmittingScreen</name>
    <message>
        <source>Mengirim permohonan ke kantor desa…</source>
        <translation>Sending your request to the village office…</translation>
    </message>
</context>
<context>
    <name>WaitingScreen</name>
    <message>
        <source>Permohonan terkirim</source>
        <translation>Request sent</translation>
    </message>
    <message>
        <source>Nomor permohonan</source>
        <translation>Request number</translation>
    </message>
    <message>
        <source>Selesai, cetak nanti</source>
        <translation>Done, print later</translation>
    </message>
</context>
</TS>
