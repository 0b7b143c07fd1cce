import QtQuick
import "../components"

// The requests behind a pickup code: where each one stands, and a print button for the
// letters this kiosk may print now.
Flickable {
    id: list
    contentHeight: content.height + 2 * root.gap
    clip: true

    Column {
        id: content
        x: root.gap; y: root.gap
        width: list.width - 2 * root.gap
        spacing: 12

        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: qsTr("Permohonan Anda")
            font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
        }
        Text {
            width: parent.width; wrapMode: Text.WordWrap
            text: root.vm.myRequests.length > 0
                ? qsTr("Surat yang sudah ditandatangani Kepala Desa dapat dicetak sekarang.")
                : qsTr("Tidak ada permohonan untuk kode ini.")
            font.pixelSize: root.fontBody; color: root.muted
        }

        Repeater {
            model: root.vm.myRequests
            RequestRow { required property var modelData; request: modelData; width: content.width }
        }
    }

    component RequestRow: Rectangle {
        id: row
        property var request
        readonly property bool printable: request.printable === true
        // Wide screens put the status beside the button; narrow ones under the reference.
        readonly property bool wide: width >= 1000
        height: Math.max(details.height, actions.height) + 28
        radius: 16
        color: printable ? "#eef8f5" : root.card
        border.width: printable ? 3 : 1
        border.color: printable ? root.primary : "#cfd8d7"

        Column {
            id: details
            anchors {
                left: parent.left; leftMargin: 24; verticalCenter: parent.verticalCenter
                right: actions.left; rightMargin: 20
            }
            spacing: 6
            Text {
                width: parent.width; wrapMode: Text.WordWrap
                text: row.request.service
                font.pixelSize: root.fontBody + 2; font.bold: true; color: root.ink
            }
            Text {
                width: parent.width; wrapMode: Text.WordWrap
                text: qsTr("Nomor permohonan: %1").arg(row.request.reference)
                font.pixelSize: root.fontSmall; color: root.muted
            }
            StatusChip {
                visible: !row.wide
                status: row.request.status; label: row.request.statusLabel; maxWidth: details.width
            }
            Text {
                width: parent.width; wrapMode: Text.WordWrap
                visible: text !== ""
                text: row.request.reason
                font.pixelSize: root.fontSmall; color: root.ink
            }
        }

        Row {
            id: actions
            anchors { right: parent.right; rightMargin: 20; verticalCenter: parent.verticalCenter }
            spacing: 20
            StatusChip {
                anchors.verticalCenter: parent.verticalCenter
                visible: row.wide
                status: row.request.status; label: row.request.statusLabel; maxWidth: 480
            }
            BigButton {
                objectName: "print-" + row.request.id
                // On one line in every language and text size: the details beside it wrap.
                width: Math.max(240, implicitWidth); height: 72
                visible: row.printable
                text: row.request.reprint ? qsTr("Cetak ulang") : qsTr("Cetak")
                onClicked: kiosk.printReady(row.request.id)
            }
        }
    }
}
