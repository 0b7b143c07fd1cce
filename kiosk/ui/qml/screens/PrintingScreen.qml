BusyScreen {
    message: root.vm.printStep === "downloading" ? qsTr("Mengunduh surat yang sudah ditandatangani…") : qsTr("Mencetak surat Anda…")
}
