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
        <source>Lambang desa</source>
        <translation>Village emblem</translation>
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
        <source>Lambang desa</source>
        <translation>Village emblem</translation>
    </message>
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
<context>
    <name>flow</name>
    <message>
        <source>PIN harus 6 angka.</source>
        <translation>The PIN must be 6 digits.</translation>
    </message>
    <message>
        <source>Kartu ini belum terdaftar di desa. Silakan masuk dengan NIK dan PIN.</source>
        <translation>This card is not registered with the village. Please sign in with NIK and PIN.</translation>
    </message>
    <message>
        <source>Kartu ini tidak dapat dikenali lewat pembaca kartu. Silakan masuk dengan NIK dan PIN.</source>
        <translation>This card cannot be recognised by the reader. Please sign in with NIK and PIN.</translation>
    </message>
    <message>
        <source>Kartu ini tampaknya memberi nomor yang berbeda setiap kali ditempelkan, sehingga tidak dapat dikenali. Silakan masuk dengan NIK dan PIN.</source>
        <translation>This card seems to give a different number at every tap, so it cannot be recognised. Please sign in with NIK and PIN.</translation>
    </message>
    <message>
        <source>Kartu terangkat terlalu cepat. Tempelkan lagi dan tahan sebentar.</source>
        <translation>The card was lifted too soon. Tap it again and hold it still.</translation>
    </message>
    <message>
        <source>Kartu tidak terbaca. Coba lagi, atau masuk dengan NIK dan PIN.</source>
        <translation>The card could not be read. Try again, or sign in with NIK and PIN.</translation>
    </message>
    <message>
        <source>NIK atau PIN salah.</source>
        <translation>Wrong NIK or PIN.</translation>
    </message>
    <message>
        <source>Terlalu banyak PIN salah. NIK ini dikunci sementara; coba lagi dalam {left}.</source>
        <translation>Too many wrong PINs. This NIK is locked for now; try again in {left}.</translation>
    </message>
    <message>
        <source>Terlalu banyak PIN salah di kios ini. Tempelkan e-KTP Anda, atau coba NIK dan PIN lagi dalam {left}.</source>
        <translation>Too many wrong PINs at this kiosk. Tap your e-KTP, or try NIK and PIN again in {left}.</translation>
    </message>
    <message>
        <source>NIK ini tidak dikunci lagi. Silakan masuk dengan NIK dan PIN.</source>
        <translation>This NIK is no longer locked. Please sign in with NIK and PIN.</translation>
    </message>
    <message>
        <source>{first} {second}</source>
        <translation>{first} {second}</translation>
    </message>
    <message>
        <source>Tidak ada koneksi</source>
        <translation>No connection</translation>
    </message>
    <message>
        <source>Kios tidak dapat terhubung ke kantor desa. Coba lagi sebentar lagi.</source>
        <translation>The kiosk cannot reach the village office. Please try again shortly.</translation>
    </message>
    <message>
        <source>Layanan sedang gangguan</source>
        <translation>Service disruption</translation>
    </message>
    <message>
        <source>Sistem kantor desa sedang bermasalah. Coba lagi sebentar lagi atau hubungi petugas.</source>
        <translation>The village office system has a problem. Try again shortly or ask an officer.</translation>
    </message>
    <message>
        <source>Sesi Anda berakhir. Silakan masuk lagi.</source>
        <translation>Your session has ended. Please sign in again.</translation>
    </message>
    <message>
        <source>Permohonan belum terkirim</source>
        <translation>Request not sent</translation>
    </message>
    <message>
        <source>Permohonan ditolak</source>
        <translation>Request rejected</translation>
    </message>
    <message>
        <source>Surat belum dapat diunduh</source>
        <translation>The letter cannot be downloaded yet</translation>
    </message>
    <message>
        <source>Surat Anda sudah ditandatangani, tetapi belum dapat diunduh. Coba lagi, atau cetak nanti dengan tanda terima Anda.</source>
        <translation>Your letter is signed but cannot be downloaded yet. Try again, or print it later with your receipt.</translation>
    </message>
    <message>
        <source>Printer bermasalah</source>
        <translation>Printer problem</translation>
    </message>
    <message>
        <source>printer bermasalah</source>
        <translation>printer fault</translation>
    </message>
    <message>
        <source>Surat belum tercetak: {problem}. Hubungi petugas, lalu coba lagi. Permohonan Anda aman dan dapat dicetak nanti.</source>
        <translation>The letter was not printed: {problem}. Ask an officer, then try again. Your request is safe and can be printed later.</translation>
    </message>
    <message>
        <source>Struk tanda terima tidak dapat dicetak. Catat nomor permohonan Anda.</source>
        <translation>The receipt could not be printed. Please note your request number.</translation>
    </message>
    <message>
        <source>Printer struk sedang menunggu kertas atau perbaikan. Struk tercetak begitu printer siap.</source>
        <translation>The receipt printer is waiting for paper or a fix. The receipt prints as soon as it is ready.</translation>
    </message>
    <message>
        <source>Struk sedang dicetak. Surat dicetak begitu ditandatangani Kepala Desa; Anda juga boleh pulang dan mencetaknya nanti dengan e-KTP Anda.</source>
        <translation>Your receipt is printing. The letter prints as soon as the village head signs it; you may also go home and print it later with your e-KTP.</translation>
    </message>
    <message>
        <source>Struk sudah dicetak. Surat dicetak begitu ditandatangani Kepala Desa; Anda juga boleh pulang dan mencetaknya nanti dengan e-KTP Anda.</source>
        <translation>Your receipt is printed. The letter prints as soon as the village head signs it; you may also go home and print it later with your e-KTP.</translation>
    </message>
    <message>
        <source>Sidik jari tidak cocok dengan e-KTP. Coba lagi, atau masuk dengan NIK dan PIN.</source>
        <translation>The fingerprint does not match the e-KTP. Try again, or sign in with NIK and PIN.</translation>
    </message>
    <message>
        <source>NIK pada e-KTP ini tidak terdaftar sebagai warga desa ini. Silakan hubungi petugas.</source>
        <translation>The NIK on this e-KTP is not registered as a resident here. Please ask an officer.</translation>
    </message>
    <message>
        <source>Kios belum siap</source>
        <translation>Kiosk not ready</translation>
    </message>
    <message>
        <source>Kios sedang menyiapkan layanan. Coba lagi sebentar lagi.</source>
        <translation>The kiosk is preparing its services. Please try again shortly.</translation>
    </message>
    <message>
        <source>Terjadi kesalahan. Coba lagi atau hubungi petugas.</source>
        <translation>Something went wrong. Try again or ask an officer.</translation>
    </message>
    <message>
        <source>Kios sedang tidak terhubung. Permohonan Anda disimpan dan dikirim otomatis; petugas desa akan memeriksa identitas Anda.</source>
        <translation>The kiosk is offline. Your request will be saved and sent automatically; a village officer will check your identity.</translation>
    </message>
    <message>
        <source>Kios sedang tidak terhubung, jadi PIN tidak dapat diperiksa. Permohonan Anda disimpan dan dikirim otomatis; petugas desa akan memeriksa identitas Anda.</source>
        <translation>The kiosk is offline, so the PIN cannot be checked. Your request will be saved and sent automatically; a village officer will check your identity.</translation>
    </message>
    <message>
        <source>Kios belum pernah terhubung ke kantor desa, jadi daftar layanan belum ada. Coba lagi nanti.</source>
        <translation>The kiosk has never reached the village office, so it has no list of services yet. Please try again later.</translation>
    </message>
    <message>
        <source>Permohonan Anda tersimpan di kios dan akan dikirim otomatis saat jaringan kembali. Simpan struk: tempelkan e-KTP atau pindai kode QR-nya untuk mencetak surat nanti.</source>
        <translation>Your request is saved at the kiosk and will be sent automatically when the network returns. Keep the receipt: tap your e-KTP or scan its QR code to print the letter later.</translation>
    </message>
    <message>
        <source>Permohonan tidak dapat disimpan di kios. Hubungi petugas.</source>
        <translation>The request could not be saved at the kiosk. Please ask an officer.</translation>
    </message>
    <message>
        <source>Kode ambil terdiri dari 12 angka, tercetak di struk di bawah kode QR.</source>
        <translation>The pickup code is 12 digits, printed on the receipt below the QR code.</translation>
    </message>
    <message>
        <source>Kode ambil tidak ditemukan di kios ini. Periksa lagi angkanya.</source>
        <translation>That pickup code is not known at this kiosk. Please check the digits.</translation>
    </message>
    <message>
        <source>Terlalu banyak kode salah. Silakan hubungi petugas desa.</source>
        <translation>Too many wrong codes. Please ask a village officer.</translation>
    </message>
    <message>
        <source>Surat tidak dapat diverifikasi</source>
        <translation>The letter cannot be verified</translation>
    </message>
    <message>
        <source>Tanda tangan elektronik pada surat ini tidak dapat dipastikan keasliannya, jadi surat tidak dicetak. Petugas desa sudah dapat melihat catatannya; silakan hubungi petugas.</source>
        <translation>The electronic signature on this letter could not be confirmed as genuine, so it was not printed. Please ask a village officer.</translation>
    </message>
    <message>
        <source>Kantor desa belum menjawab. Coba lagi, atau lanjutkan tanpa koneksi.</source>
        <translation>The village office has not answered. Try again, or go on offline.</translation>
    </message>
    <message>
        <source>Printer tidak menjawab</source>
        <translation>The printer does not answer</translation>
    </message>
    <message>
        <source>Surat belum tercetak. Permohonan Anda aman: hubungi petugas, atau cetak nanti dengan struk Anda.</source>
        <translation>The letter has not been printed. Your request is safe: ask an officer, or print it later with your receipt.</translation>
    </message>
    <message>
        <source>Surat ini sudah dicetak dan batas cetak ulang sudah tercapai. Hubungi petugas desa.</source>
        <translation>This letter was printed already and may not be printed again here. Ask an officer.</translation>
    </message>
    <message>
        <source>Ambil surat</source>
        <translation>Collect a letter</translation>
    </message>
    <message>
        <source>Jaringan ke kantor desa sedang terputus. Permohonan tetap diterima dan dikirim otomatis.</source>
        <translation>The link to the village office is down. Requests are still taken and sent automatically.</translation>
    </message>
    <message>
        <source>Kios sedang tidak melayani</source>
        <translation>This kiosk is closed for now</translation>
    </message>
    <message>
        <source>Silakan datang ke kantor desa pada jam pelayanan.</source>
        <translation>Please go to the village office during its opening hours.</translation>
    </message>
    <message>
        <source>Informasi: {phone}</source>
        <translation>Information: {phone}</translation>
    </message>
    <message>
        <source>{n} jam</source>
        <translation>{n} hour</translation>
    </message>
    <message>
        <source>{n} menit</source>
        <translation>{n} minute</translation>
    </message>
    <message>
        <source>{n} detik</source>
        <translation>{n} second</translation>
    </message>
    <message>
        <source>Belum lengkap</source>
        <translation>Incomplete</translation>
    </message>
    <message>
        <source>Diperiksa petugas</source>
        <translation>Being reviewed</translation>
    </message>
    <message>
        <source>Menunggu tanda tangan Kepala Desa</source>
        <translation>Awaiting the head&apos;s signature</translation>
    </message>
    <message>
        <source>Siap dicetak</source>
        <translation>Ready to print</translation>
    </message>
    <message>
        <source>Sudah dicetak</source>
        <translation>Printed</translation>
    </message>
    <message>
        <source>Dibatalkan</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <source>Ditolak</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <source>Tersimpan, menunggu jaringan</source>
        <translation>Saved, waiting for the network</translation>
    </message>
    <message>
        <source>Tidak diterima kantor desa</source>
        <translation>Not accepted by the village office</translation>
    </message>
    <message>
        <source>Tempelkan e-KTP Anda pada pembaca kartu, atau ketik NIK dan PIN Anda.</source>
        <translation>Tap your e-KTP on the card reader, or type your NIK and PIN.</translation>
    </message>
    <message>
        <source>Mohon tunggu, data Anda sedang diperiksa.</source>
        <translation>Please wait, checking your details.</translation>
    </message>
    <message>
        <source>Pilih surat yang Anda perlukan.</source>
        <translation>Choose the letter you need.</translation>
    </message>
    <message>
        <source>Isi formulir, lalu tekan Lanjut.</source>
        <translation>Fill in the form, then press Next.</translation>
    </message>
    <message>
        <source>Periksa permohonan Anda, lalu tekan Kirim permohonan.</source>
        <translation>Check your request, then press Send request.</translation>
    </message>
    <message>
        <source>Mohon tunggu, permohonan sedang dikirim.</source>
        <translation>Please wait, sending your request.</translation>
    </message>
    <message>
        <source>Permohonan terkirim. Surat dicetak setelah ditandatangani Kepala Desa.</source>
        <translation>Your request is sent. The letter prints once the village head signs it.</translation>
    </message>
    <message>
        <source>Surat Anda sedang dicetak. Mohon tunggu.</source>
        <translation>Your letter is printing. Please wait.</translation>
    </message>
    <message>
        <source>Terima kasih. Silakan ambil surat dan struk Anda.</source>
        <translation>Thank you. Please take your letter and your receipt.</translation>
    </message>
    <message>
        <source>Ketik kode ambil dari struk, atau pindai kode QR pada struk.</source>
        <translation>Type the pickup code from your receipt, or scan the QR code on it.</translation>
    </message>
    <message>
        <source>Pilih surat yang ingin dicetak.</source>
        <translation>Choose the letter to print.</translation>
    </message>
    <message>
        <source>kertas habis</source>
        <translation>out of paper</translation>
    </message>
    <message>
        <source>tutup printer terbuka</source>
        <translation>printer cover open</translation>
    </message>
    <message>
        <source>printer tidak terhubung</source>
        <translation>printer not connected</translation>
    </message>
    <message>
        <source>Gangguan pada {names}. Hubungi petugas.</source>
        <translation>Problem with the {names}. Please ask an officer.</translation>
    </message>
    <message>
        <source>printer struk</source>
        <translation>receipt printer</translation>
    </message>
    <message>
        <source>printer surat</source>
        <translation>letter printer</translation>
    </message>
    <message>
        <source>pembaca kartu</source>
        <translation>card reader</translation>
    </message>
    <message>
        <source>pemindai QR</source>
        <translation>QR scanner</translation>
    </message>
    <message>
        <source>Minimal {n} karakter.</source>
        <translation>At least {n} characters.</translation>
    </message>
    <message>
        <source>Maksimal {n} karakter.</source>
        <translation>At most {n} characters.</translation>
    </message>
    <message>
        <source>Hanya angka.</source>
        <translation>Digits only.</translation>
    </message>
    <message>
        <source>Tanggal tidak valid (tttt-bb-hh).</source>
        <translation>Not a valid date (yyyy-mm-dd).</translation>
    </message>
    <message>
        <source>Pilih salah satu pilihan.</source>
        <translation>Choose one of the options.</translation>
    </message>
    <message>
        <source>Format tidak sesuai.</source>
        <translation>Not in the expected format.</translation>
    </message>
    <message>
        <source>Wajib diisi.</source>
        <translation>Required.</translation>
    </message>
    <message>
        <source>Ketik NIK Anda: 16 angka yang tertera di e-KTP.</source>
        <translation>Type your NIK: the 16 digits printed on your e-KTP.</translation>
    </message>
    <message>
        <source>NIK hanya berisi angka 0-9; &quot;{char}&quot; bukan angka.</source>
        <translation>A NIK has only the digits 0-9; &quot;{char}&quot; is not a digit.</translation>
    </message>
    <message>
        <source>NIK hanya berisi angka 0-9.</source>
        <translation>A NIK has only the digits 0-9.</translation>
    </message>
    <message>
        <source>NIK harus {need} angka; Anda mengetik {typed}.</source>
        <translation>A NIK has {need} digits; you typed {typed}.</translation>
    </message>
    <message>
        <source>Kode provinsi {province} (2 angka pertama NIK) tidak dikenal. Periksa NIK di e-KTP Anda.</source>
        <translation>Province code {province} (the first 2 digits of the NIK) does not exist. Check the NIK on your e-KTP.</translation>
    </message>
    <message>
        <source>Kode kabupaten/kota di NIK (angka ke-3 dan ke-4) tidak boleh 00. Periksa NIK di e-KTP Anda.</source>
        <translation>The regency/city code in the NIK (digits 3 and 4) cannot be 00. Check the NIK on your e-KTP.</translation>
    </message>
    <message>
        <source>Kode kecamatan di NIK (angka ke-5 dan ke-6) tidak boleh 00. Periksa NIK di e-KTP Anda.</source>
        <translation>The district code in the NIK (digits 5 and 6) cannot be 00. Check the NIK on your e-KTP.</translation>
    </message>
    <message>
        <source>Tanggal lahir di NIK ({typed}) tidak ada. Periksa angka ke-7 sampai ke-12 NIK Anda.</source>
        <translation>The date of birth in the NIK ({typed}) does not exist. Check digits 7 to 12 of your NIK.</translation>
    </message>
    <message>
        <source>Tanggal lahir di NIK ({typed}, yaitu {as_woman} bagi perempuan) tidak ada. Periksa angka ke-7 sampai ke-12 NIK Anda.</source>
        <translation>The date of birth in the NIK ({typed}, that is {as_woman} for a woman) does not exist. Check digits 7 to 12 of your NIK.</translation>
    </message>
    <message>
        <source>Nomor urut di NIK (4 angka terakhir) tidak boleh 0000. Periksa NIK di e-KTP Anda.</source>
        <translation>The serial number in the NIK (the last 4 digits) cannot be 0000. Check the NIK on your e-KTP.</translation>
    </message>
    <message>
        <source>Isian berisi karakter kontrol yang tidak terlihat ({names}). Hapus isian ini lalu ketik ulang.</source>
        <translation>The text contains an invisible control character ({names}). Clear this field and type it again.</translation>
    </message>
    <message>
        <source>Karakter {names} tidak dapat dicetak pada surat. Gunakan huruf Latin biasa, angka, dan tanda baca umum; hapus emoji dan huruf selain huruf Latin.</source>
        <translation>The character {names} cannot be printed on the letter. Use plain Latin letters, digits and common punctuation; remove emoji and non-Latin script.</translation>
    </message>
</context>
</TS>
