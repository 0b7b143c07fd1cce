import QtQuick
import "../components"

// Sent: the tracking code, and waiting for the village head's electronic signature.
Item {
    Column {
        anchors.centerIn: parent
        width: parent.width - 200
        spacing: 22
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("Permohonan terkirim")
            font.pixelSize: root.fontBig; font.bold: true; color: root.primary
        }
        Text { anchors.horizontalCenter: parent.horizontalCenter; text: qsTr("Nomor permohonan"); font.pixelSize: root.fontBody; color: root.muted }
        Text {
            objectName: "trackingCode"
            anchors.horizontalCenter: parent.horizontalCenter
            text: root.vm.request ? root.vm.request.trackingCode : ""
            font.pixelSize: 72; font.bold: true; font.letterSpacing: 4; color: root.ink
        }
        Row {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: 20
            Spinner { width: 60; height: 60; scale: 0.5 }
            Text {
                anchors.verticalCenter: parent.verticalCenter
                text: root.vm.request ? root.vm.request.statusLabel : ""
                font.pixelSize: root.fontBody + 2; color: root.ink
            }
        }
        Text {
            width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
            objectName: "receiptNote"
            text: root.vm.receiptNote
            color: root.vm.receiptProblem !== "" ? root.danger : root.muted
            font.pixelSize: root.fontSmall + 2
        }
        BigButton {
            objectName: "finishLaterButton"
            anchors.horizontalCenter: parent.horizontalCenter
            primary: false
            text: qsTr("Selesai, cetak nanti")
            onClicked: kiosk.finishLater()
        }
    }
}
