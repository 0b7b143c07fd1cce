import QtQuick
import "../components"

// Thanks, and one tap to say how it went (Survei Kepuasan Masyarakat, 4 levels).
Item {
    readonly property var faces: [
        { score: 1, label: qsTr("Tidak puas") },
        { score: 2, label: qsTr("Kurang puas") },
        { score: 3, label: qsTr("Puas") },
        { score: 4, label: qsTr("Sangat puas") }
    ]
    Column {
        anchors.centerIn: parent
        spacing: 30
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("Terima kasih")
            font.pixelSize: 60; font.bold: true; color: root.primary
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: root.vm.rating > 0 ? qsTr("Penilaian Anda sudah kami terima.") : qsTr("Bagaimana pelayanan hari ini?")
            font.pixelSize: root.fontTitle - 4; color: root.ink
        }
        Row {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: 22
            visible: root.vm.rating === 0
            Repeater {
                model: faces
                Rectangle {
                    required property var modelData
                    objectName: "rate-" + modelData.score
                    width: 200; height: 190; radius: 18
                    color: area.pressed ? "#dfeeed" : root.card
                    border.color: "#cfd8d7"; border.width: 2
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
