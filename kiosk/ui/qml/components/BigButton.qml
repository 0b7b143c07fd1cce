import QtQuick

// A touch-sized button: at least 80 px high, large text, clear pressed state.
Rectangle {
    id: button
    property alias text: label.text
    property bool primary: true
    property bool quiet: false
    // An outlined button on the teal attract screen: white outline and text.
    property bool onDark: false
    signal clicked()

    // Buttons of a row read alike at 220 px or more; a crowded bar may take less.
    property int minWidth: 220
    implicitWidth: Math.max(minWidth, label.implicitWidth + 64)
    implicitHeight: 84
    radius: 14
    opacity: enabled ? 1.0 : 0.4
    color: onDark ? (area.pressed ? "#33ffffff" : "transparent")
        : quiet ? "transparent"
        : (primary ? (area.pressed ? root.primaryDark : root.primary) : (area.pressed ? "#dfe7e6" : root.card))
    border.width: (primary && !quiet && !onDark) ? 0 : (onDark ? 3 : 2)
    border.color: onDark ? "white" : root.primary
    Accessible.role: Accessible.Button
    Accessible.name: label.text
    Accessible.onPressAction: if (enabled) button.clicked()

    Text {
        id: label
        anchors.centerIn: parent
        width: parent.width - 32
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.WordWrap
        font.pixelSize: root.fontBody + 2
        font.bold: true
        color: button.onDark ? "white" : (button.primary && !button.quiet ? "white" : root.primary)
    }

    MouseArea {
        id: area
        anchors.fill: parent
        onClicked: button.clicked()
    }
}
