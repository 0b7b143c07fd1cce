import QtQuick

// A simple on-screen keyboard that types into `target` (a TextInput or TextEdit).
Rectangle {
    id: keyboard
    property Item target
    property bool shifted: true
    signal closed()
    height: keys.implicitHeight + 16
    color: "#dde5e4"

    function type(key) {
        if (!target) return
        if (key === "⌫") {
            if (target.text.length > 0) target.text = target.text.slice(0, -1)
        } else if (key === "tutup") {
            closed()
        } else if (key === "⇧") {
            shifted = !shifted
        } else {
            var ch = key === "spasi" ? " " : (shifted ? key.toUpperCase() : key)
            if (target.maximumLength === undefined || target.text.length < target.maximumLength)
                target.text = target.text + ch
            if (shifted && key !== "spasi") shifted = false
        }
    }

    Column {
        id: keys
        anchors.centerIn: parent
        spacing: 6
        Repeater {
            model: [
                ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-"],
                ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "/"],
                ["a", "s", "d", "f", "g", "h", "j", "k", "l", ",", "."],
                ["⇧", "z", "x", "c", "v", "b", "n", "m", "⌫"],
                ["spasi", "tutup"]
            ]
            Row {
                required property var modelData
                anchors.horizontalCenter: parent.horizontalCenter
                spacing: 8
                Repeater {
                    model: parent.modelData
                    Rectangle {
                        required property string modelData
                        objectName: "key-" + ({ "⇧": "shift", "⌫": "back", "spasi": "space", "tutup": "close" }[modelData] || modelData)
                        width: modelData === "spasi" ? 560 : (modelData.length > 1 || modelData === "⇧" || modelData === "⌫" ? 180 : 86)
                        height: 72; radius: 8
                        color: keyArea.pressed ? "#b9cfcd" : (modelData === "⇧" && keyboard.shifted ? "#cfe3e1" : "white")
                        Text {
                            anchors.centerIn: parent
                            text: parent.modelData === "spasi" ? qsTr("spasi")
                                : parent.modelData === "tutup" ? qsTr("Tutup")
                                : keyboard.shifted ? parent.modelData.toUpperCase() : parent.modelData
                            font.pixelSize: 26; color: root.ink
                        }
                        MouseArea { id: keyArea; anchors.fill: parent; onClicked: keyboard.type(parent.modelData) }
                    }
                }
            }
        }
    }
}
