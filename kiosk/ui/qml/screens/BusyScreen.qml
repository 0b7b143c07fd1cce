import QtQuick
import "../components"

// The machine is working; the citizen waits a moment.
Item {
    property string message
    Column {
        anchors.centerIn: parent
        width: parent.width - 2 * root.gap
        spacing: 36
        Spinner { anchors.horizontalCenter: parent.horizontalCenter }
        Text {
            width: parent.width
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
            text: message
            font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
        }
    }
}
