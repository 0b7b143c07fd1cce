import QtQuick

// A simple on-screen keyboard that types into `target` (a TextInput or TextEdit).
// Letters for text, a number pad for numbers and dates (`numeric`, `dash` for dates).
Rectangle {
    id: keyboard
    property Item target
    property bool shifted: true
    property bool numeric: false
    property bool dash: false
    signal closed()
    height: keys.implicitHeight + 16
    color: "#dde5e4"

    readonly property var letterRows: [
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-"],
        ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "/"],
        ["a", "s", "d", "f", "g", "h", "j", "k", "l", ",", "."],
        ["⇧", "z", "x", "c", "v", "b", "n", "m", "⌫"],
        ["spasi", "tutup"]
    ]
    // The empty key keeps the pad a 3 x 4 grid when there is no dash.
    readonly property var numberRows: [
        ["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], [dash ? "-" : "", "0", "⌫"], ["tutup"]
    ]
    readonly property var names: ({ "⇧": "shift", "⌫": "back", "spasi": "space", "tutup": "close", "-": "dash" })

    // A new field starts with a capital letter, as a name or a sentence does.
    onTargetChanged: shifted = true

    function type(key) {
        if (!target || key === "") return
        if (key === "⌫") {
            if (target.text.length > 0) target.text = target.text.slice(0, -1)
        } else if (key === "tutup") {
            closed()
        } else if (key === "⇧") {
            shifted = !shifted
        } else {
            var ch = key === "spasi" ? " " : (shifted && !numeric ? key.toUpperCase() : key)
            if (target.maximumLength === undefined || target.text.length < target.maximumLength)
                target.text = target.text + ch
            if (shifted && key !== "spasi" && !numeric) shifted = false
        }
    }

    // A letter key: 86 px, narrower when 11 of them (and their gaps) would not fit.
    readonly property int unit: Math.min(86, Math.floor((width - 16 - 10 * 8) / 11))

    function keyWidth(key) {
        if (key === "spasi") return 6 * unit + 5 * 8
        if (keyboard.numeric) return key === "tutup" ? 3 * 150 + 2 * 8 : 150
        return key.length > 1 || key === "⇧" || key === "⌫" ? 2 * unit + 8 : unit
    }

    // What a screen reader says for a key (a symbol alone says nothing).
    function spokenName(key) {
        if (key === "⇧") return qsTr("Huruf kapital")
        if (key === "⌫") return qsTr("Hapus satu huruf")
        if (key === "-") return qsTr("Tanda hubung")
        return label(key)
    }

    function label(key) {
        if (key === "spasi") return qsTr("spasi")
        if (key === "tutup") return qsTr("Tutup")
        return keyboard.shifted && !keyboard.numeric ? key.toUpperCase() : key
    }

    Column {
        id: keys
        anchors.centerIn: parent
        spacing: 6
        Repeater {
            model: keyboard.numeric ? keyboard.numberRows : keyboard.letterRows
            Row {
                required property var modelData
                anchors.horizontalCenter: parent.horizontalCenter
                spacing: 8
                Repeater {
                    model: parent.modelData
                    Rectangle {
                        required property string modelData
                        objectName: "key-" + (keyboard.names[modelData] || modelData)
                        width: keyboard.keyWidth(modelData)
                        height: 72; radius: 8
                        opacity: modelData === "" ? 0 : 1
                        Accessible.role: Accessible.Button
                        Accessible.name: keyboard.spokenName(modelData)
                        Accessible.ignored: modelData === ""
                        Accessible.onPressAction: keyboard.type(modelData)
                        color: keyArea.pressed ? "#b9cfcd" : (modelData === "⇧" && keyboard.shifted ? "#cfe3e1" : "white")
                        Text {
                            anchors.centerIn: parent
                            text: keyboard.label(parent.modelData)
                            font.pixelSize: keyboard.numeric ? 32 : 26
                            font.bold: keyboard.numeric
                            color: root.ink
                        }
                        MouseArea {
                            id: keyArea
                            anchors.fill: parent
                            enabled: parent.modelData !== ""
                            onClicked: keyboard.type(parent.modelData)
                        }
                    }
                }
            }
        }
    }
}
