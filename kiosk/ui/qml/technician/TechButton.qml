import QtQuick

// A technician screen's button: 72 px high (over 15 mm on the kiosk's panel), fixed type
// sizes (the citizen's large-text choice does not apply here), a clear pressed state.
Rectangle {
    id: button
    property alias text: label.text
    property bool primary: false
    property bool danger: false
    property bool selected: false
    signal clicked()

    implicitWidth: Math.max(180, label.implicitWidth + 48)
    implicitHeight: 72
    radius: 10
    opacity: enabled ? 1.0 : 0.45
    color: area.pressed ? "#b0bec5"
        : selected ? "#263238"
        : danger ? "#b3261e"
        : primary ? "#0b6e69" : "#ffffff"
    border.width: (primary || danger || selected) ? 0 : 2
    border.color: "#78909c"
    Accessible.role: Accessible.Button
    Accessible.name: label.text
    Accessible.onPressAction: if (enabled) button.clicked()

    Text {
        id: label
        anchors.centerIn: parent
        width: parent.width - 24
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.WordWrap
        font.pixelSize: 20
        font.bold: true
        color: (button.primary || button.danger || button.selected) ? "white" : "#17212b"
    }

    MouseArea {
        id: area
        anchors.fill: parent
        onClicked: button.clicked()
    }
}
