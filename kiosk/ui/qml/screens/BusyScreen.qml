import QtQuick
import "../components"

// The machine is working; the citizen waits a moment.
Item {
    property string message
    Column {
        anchors.centerIn: parent
        spacing: 36
        Spinner { anchors.horizontalCenter: parent.horizontalCenter }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: message
            font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
        }
    }
}
