import QtQuick
import "../components"

// Read back what will be sent, then send it.
Item {
    Column {
        anchors { left: parent.left; right: parent.right; top: parent.top; margins: root.gap }
        spacing: 18
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: qsTr("Periksa kembali permohonan Anda")
            font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
        }
        Rectangle {
            width: parent.width; height: summary.height + 40; radius: 16
            color: root.card
            Column {
                id: summary
                x: 28; y: 20
                width: parent.width - 56
                spacing: 14
                // The labels' column: narrower on a narrow (portrait) screen.
                readonly property int labelWidth: Math.min(340, Math.round(width * 0.4))
                Row {
                    spacing: 20
                    Text { width: summary.labelWidth; text: qsTr("Layanan"); wrapMode: Text.WordWrap; font.pixelSize: root.fontBody; color: root.muted }
                    Text { width: summary.width - summary.labelWidth - 20; text: root.vm.service ? root.vm.service.name : ""; wrapMode: Text.WordWrap; font.pixelSize: root.fontBody; font.bold: true; color: root.ink }
                }
                Repeater {
                    model: root.vm.summary
                    Row {
                        required property var modelData
                        spacing: 20
                        Text { width: summary.labelWidth; text: modelData.label; wrapMode: Text.WordWrap; font.pixelSize: root.fontBody; color: root.muted }
                        Text { width: summary.width - summary.labelWidth - 20; text: modelData.value; wrapMode: Text.WordWrap; font.pixelSize: root.fontBody; font.bold: true; color: root.ink }
                    }
                }
            }
        }
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: qsTr("Setelah dikirim, permohonan diperiksa dan ditandatangani Kepala Desa secara elektronik.")
            font.pixelSize: root.fontSmall; color: root.muted
        }
    }
    Row {
        anchors { right: parent.right; bottom: parent.bottom; margins: root.gap }
        spacing: root.gap
        BigButton { objectName: "backButton"; primary: false; text: qsTr("Ubah"); onClicked: kiosk.back() }
        BigButton { objectName: "confirmButton"; text: qsTr("Kirim permohonan"); onClicked: kiosk.confirm() }
    }
}
