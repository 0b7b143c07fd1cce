import QtQuick

// A check's level as a coloured word: ok, warning, fault, skipped.
Rectangle {
    property string level: "ok"
    readonly property color tint: level === "ok" ? "#2e7d32"
        : level === "warning" ? "#a15c00"
        : level === "fault" ? "#b3261e" : "#546e7a"
    width: word.implicitWidth + 20
    height: word.implicitHeight + 8
    radius: 6
    color: tint
    Text {
        id: word
        anchors.centerIn: parent
        text: parent.level.toUpperCase()
        color: "white"; font.pixelSize: 16; font.bold: true
    }
}
