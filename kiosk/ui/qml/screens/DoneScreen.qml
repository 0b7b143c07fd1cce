import QtQuick
import "../components"

// Thanks, and one tap to say how it went (Survei Kepuasan Masyarakat, 4 levels).
// A request saved at the kiosk while the office was out of reach (`queued`) is not sent
// yet: the screen says so, with the reference printed on the receipt.
Item {
    id: done
    readonly property bool queued: root.vm.queued === true
    readonly property var faces: [
        { score: 1, label: qsTr("Tidak puas") },
        { score: 2, label: qsTr("Kurang puas") },
        { score: 3, label: qsTr("Puas") },
        { score: 4, label: qsTr("Sangat puas") }
    ]
    // Four faces side by side when they fit, else two by two (a portrait screen).
    readonly property int faceColumns: width >= 4 * 200 + 3 * 22 + 40 ? 4 : 2

    Column {
        anchors.centerIn: parent
        width: Math.min(done.width - 80, 1040)
        spacing: done.queued ? 18 : 30
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("Terima kasih")
            font.pixelSize: done.queued ? 48 : 60; font.bold: true; color: root.primary
        }
        Rectangle {
            objectName: "queuedCard"
            width: parent.width; height: saved.height + 36; radius: 16
            visible: done.queued
            color: root.card
            border.color: "#cfd8d7"; border.width: 1
            Column {
                id: saved
                anchors.centerIn: parent
                width: parent.width - 56
                spacing: 8
                Text {
                    objectName: "queuedReference"
                    width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap
                    visible: root.vm.reference !== ""
                    text: qsTr("Nomor permohonan: %1").arg(root.vm.reference)
                    font.pixelSize: root.fontTitle - 4; font.bold: true; font.letterSpacing: 1; color: root.ink
                }
                Text {
                    objectName: "queuedMessage"
                    width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap
                    text: root.vm.queuedMessage
                    font.pixelSize: root.fontSmall; color: root.ink
                }
            }
        }
        Text {
            objectName: "receiptProblem"
            width: parent.width; horizontalAlignment: Text.AlignHCenter; wrapMode: Text.WordWrap
            visible: text !== ""
            text: root.vm.receiptProblem
            font.pixelSize: root.fontSmall; font.bold: true; color: root.danger
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: root.vm.rating > 0 ? qsTr("Penilaian Anda sudah kami terima.") : qsTr("Bagaimana pelayanan hari ini?")
            font.pixelSize: root.fontTitle - 4; color: root.ink
        }
        Grid {
            anchors.horizontalCenter: parent.horizontalCenter
            columns: done.faceColumns
            spacing: 22
            visible: root.vm.rating === 0
            Repeater {
                model: faces
                Rectangle {
                    required property var modelData
                    objectName: "rate-" + modelData.score
                    width: 200; height: done.queued ? 150 : 190; radius: 18
                    color: area.pressed ? "#dfeeed" : root.card
                    border.color: "#cfd8d7"; border.width: 2
                    Accessible.role: Accessible.Button
                    Accessible.name: qsTr("Nilai %1 dari 4: %2").arg(modelData.score).arg(modelData.label)
                    Accessible.onPressAction: kiosk.rate(modelData.score)
                    Column {
                        anchors.centerIn: parent
                        spacing: 10
                        Face { anchors.horizontalCenter: parent.horizontalCenter; score: modelData.score }
                        Text { anchors.horizontalCenter: parent.horizontalCenter; text: modelData.label; font.pixelSize: root.fontSmall; color: root.ink }
                    }
                    MouseArea { id: area; anchors.fill: parent; onClicked: kiosk.rate(modelData.score) }
                }
            }
        }
        BigButton {
            objectName: "finishButton"
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("Selesai")
            onClicked: kiosk.finish()
        }
    }
}
