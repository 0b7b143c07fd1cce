import QtQuick

// A numeric keypad that types into `target` (a TextInput).
Grid {
    id: pad
    property Item target
    columns: 3
    spacing: 10

    function press(key) {
        if (!target) return
        if (key === "⌫") {
            if (target.text.length > 0) target.text = target.text.slice(0, -1)
        } else if (key === "C") {
            target.text = ""
        } else if (target.text.length < target.maximumLength) {
            target.text = target.text + key
        }
    }

    Repeater {
        model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "⌫"]
        Rectangle {
            required property string modelData
            objectName: "key-" + (modelData === "⌫" ? "back" : modelData)
            width: 124; height: 72; radius: 12
            color: keyArea.pressed ? "#cfe3e1" : root.card
            border.color: "#b7c7c5"; border.width: 2
            Accessible.role: Accessible.Button
            Accessible.name: modelData === "⌫" ? qsTr("Hapus satu angka")
                : modelData === "C" ? qsTr("Hapus semua") : modelData
            Accessible.onPressAction: pad.press(modelData)
            Text { anchors.centerIn: parent; text: parent.modelData; font.pixelSize: 34; font.bold: true; color: root.ink }
            MouseArea { id: keyArea; anchors.fill: parent; onClicked: pad.press(parent.modelData) }
        }
    }
}
