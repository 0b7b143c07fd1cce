import QtQuick

// "Are you still there?": shown shortly before the idle timeout returns to the start.
Rectangle {
    property int secondsLeft: 0
    color: "#cc17212b"

    MouseArea { anchors.fill: parent; onClicked: kiosk.stillHere() }

    Rectangle {
        anchors.centerIn: parent
        width: 720; height: 360; radius: 20
        color: root.card
        Column {
            anchors.centerIn: parent
            spacing: root.gap
            Text {
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr("Masih di sana?")
                font.pixelSize: root.fontBig; font.bold: true; color: root.ink
            }
            Text {
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr("Layar kembali ke awal dalam %1 detik.").arg(secondsLeft)
                font.pixelSize: root.fontBody; color: root.muted
            }
            BigButton {
                objectName: "stillHereButton"
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr("Ya, lanjutkan")
                onClicked: kiosk.stillHere()
            }
        }
    }
}
