import QtQuick
import "../components"

// The technician PIN: typed on the kiosk's own keypad, shown as dots, checked in Python.
Item {
    id: pad
    objectName: "techPinPad"
    readonly property bool locked: techRoot.tv.lockedLeft > 0

    Rectangle {
        anchors.centerIn: parent
        width: 820
        height: body.height + 64
        radius: 16
        color: "white"
        border.color: "#cfd8dc"

        Column {
            id: body
            x: 32; y: 32
            width: parent.width - 64
            spacing: 16
            Text {
                text: "Technician mode"
                font.pixelSize: 32; font.bold: true; color: "#17212b"
            }
            Text {
                width: parent.width; wrapMode: Text.WordWrap
                text: "Mode teknisi, untuk petugas. Bukan petugas? Tekan Batal."
                font.pixelSize: 19; color: "#55636f"
            }
            Text {
                objectName: "techPinMessage"
                width: parent.width; wrapMode: Text.WordWrap
                text: techRoot.tv.checking ? "Checking…" : techRoot.tv.message
                font.pixelSize: 22; font.bold: true
                color: pad.locked || techRoot.tv.message.indexOf("Wrong") === 0 ? "#b3261e" : "#17212b"
            }
            Row {
                spacing: 32
                Column {
                    spacing: 14
                    Rectangle {
                        width: keypad.width; height: 72; radius: 10
                        color: "#f3f6f5"; border.color: "#78909c"; border.width: 2
                        TextInput {
                            id: pinInput
                            objectName: "techPinInput"
                            anchors.fill: parent
                            anchors.margins: 12
                            verticalAlignment: TextInput.AlignVCenter
                            horizontalAlignment: TextInput.AlignHCenter
                            echoMode: TextInput.Password
                            maximumLength: 8
                            readOnly: true
                            activeFocusOnPress: false
                            font.pixelSize: 36; font.letterSpacing: 6
                            color: "#17212b"
                        }
                    }
                    Keypad {
                        id: keypad
                        target: pinInput
                        enabled: !pad.locked && !techRoot.tv.checking
                        opacity: enabled ? 1.0 : 0.4
                    }
                }
                Column {
                    spacing: 16
                    TechButton {
                        objectName: "techPinOk"
                        width: 260
                        primary: true
                        text: "Enter"
                        enabled: !pad.locked && !techRoot.tv.checking && pinInput.text.length >= 6
                        onClicked: { techRoot.tech.submitPin(pinInput.text); pinInput.text = "" }
                    }
                    TechButton {
                        objectName: "techPinCancel"
                        width: 260
                        text: "Cancel · Batal"
                        onClicked: techRoot.tech.cancel()
                    }
                }
            }
        }
    }
}
