import QtQuick
import "../components"

// Coming back for a letter: the 12-digit pickup code from the receipt, typed on the keypad,
// or typed by a keyboard-wedge scanner reading the receipt's QR code (its text, then Enter).
// The text goes to the flow as it is; the flow reads the code out of it and says what is wrong.
Item {
    id: pickup
    readonly property bool wide: width > height

    function submit() {
        kiosk.submitPickupCode(input.text)
    }

    // Ready for the scanner at once: its keystrokes go to the focused input.
    Component.onCompleted: input.forceActiveFocus()

    Grid {
        anchors.centerIn: parent
        columns: pickup.wide ? 2 : 1
        spacing: 48
        horizontalItemAlignment: Grid.AlignHCenter
        verticalItemAlignment: Grid.AlignVCenter

        Rectangle {
            width: 540; height: intro.height + 64; radius: 20
            color: root.card
            Column {
                id: intro
                anchors.centerIn: parent
                width: parent.width - 64
                spacing: 18
                Text {
                    width: parent.width; wrapMode: Text.WordWrap
                    text: qsTr("Ambil surat")
                    font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
                }
                Text {
                    width: parent.width; wrapMode: Text.WordWrap
                    text: qsTr("Ketik 12 angka kode ambil yang tercetak di struk, di bawah kode QR. Atau pindai kode QR pada struk.")
                    font.pixelSize: root.fontBody; color: root.ink
                }
                Rectangle {
                    width: parent.width; height: 80; radius: 10
                    color: root.card
                    border.width: input.activeFocus ? 3 : 2
                    border.color: root.vm.pickupError !== "" ? root.danger : (input.activeFocus ? root.primary : "#b7c7c5")
                    Accessible.role: Accessible.EditableText
                    Accessible.name: qsTr("Kode ambil (12 angka)")
                    Text {
                        anchors { left: parent.left; leftMargin: 18; verticalCenter: parent.verticalCenter }
                        visible: input.text === ""
                        text: qsTr("Kode ambil (12 angka)")
                        color: "#8a979f"; font.pixelSize: root.fontBody
                    }
                    TextInput {
                        id: input
                        objectName: "pickupInput"
                        anchors { fill: parent; leftMargin: 18; rightMargin: 18 }
                        verticalAlignment: TextInput.AlignVCenter
                        font.pixelSize: 32; font.letterSpacing: 3; font.bold: true
                        color: root.ink
                        clip: true
                        // Room for a scanned QR payload ("APM1:AMBIL:" + 12 digits), no more.
                        maximumLength: 40
                        onAccepted: {
                            pickup.submit()
                            // A second scan replaces this text instead of adding to it.
                            selectAll()
                        }
                    }
                    MouseArea { anchors.fill: parent; onClicked: input.forceActiveFocus() }
                }
                Text {
                    objectName: "pickupError"
                    width: parent.width; wrapMode: Text.WordWrap
                    visible: text !== ""
                    text: root.vm.pickupError
                    color: root.danger; font.pixelSize: root.fontSmall; font.bold: true
                }
                Text {
                    width: parent.width; wrapMode: Text.WordWrap
                    text: qsTr("Punya e-KTP? Tempelkan saja pada pembaca kartu.")
                    font.pixelSize: root.fontSmall; color: root.muted
                }
            }
        }

        Column {
            spacing: 18
            Keypad { id: keypad; target: input }
            BigButton {
                objectName: "pickupSubmit"
                width: keypad.width
                text: qsTr("Cari surat")
                onClicked: pickup.submit()
            }
        }
    }
}
