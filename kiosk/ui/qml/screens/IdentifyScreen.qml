import QtQuick
import "../components"

// Tap the e-KTP, or type NIK (16 digits) and PIN (6 digits) on the keypad.
Item {
    id: identify
    // Side by side on a wide screen; the card above the keypad on a narrow (portrait) one.
    readonly property bool narrow: width < 1000

    // Centred when it fits; scrolled when large text on a narrow screen makes it taller.
    Flickable {
        id: scroller
        anchors.fill: parent
        contentWidth: width
        contentHeight: Math.max(height, layout.height + 2 * root.gap)
        boundsBehavior: Flickable.StopAtBounds
        clip: true

        Grid {
            id: layout
            x: (scroller.width - width) / 2
            y: Math.max(root.gap, (scroller.height - height) / 2)
            columns: identify.narrow ? 1 : 2
            spacing: identify.narrow ? 28 : 48
            horizontalItemAlignment: Grid.AlignHCenter

            Rectangle {
                width: identify.narrow ? 480 : 440
                height: identify.narrow ? cardColumn.implicitHeight + 40 : 600
                radius: 20
                color: root.card
                Column {
                    id: cardColumn
                    anchors.centerIn: parent
                    width: parent.width - 60
                    spacing: identify.narrow ? 14 : 24
                    Rectangle {  // an e-KTP card, drawn
                        anchors.horizontalCenter: parent.horizontalCenter
                        width: identify.narrow ? 160 : 260; height: identify.narrow ? 100 : 164; radius: 14
                        color: "#2f7fb8"
                        Text { anchors.centerIn: parent; text: "e-KTP"; color: "white"; font.pixelSize: identify.narrow ? 32 : 44; font.bold: true }
                    }
                    Text {
                        width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
                        text: qsTr("Tempelkan e-KTP Anda pada pembaca kartu")
                        font.pixelSize: root.fontTitle - 6; font.bold: true; color: root.ink
                    }
                    Text {
                        width: parent.width; wrapMode: Text.WordWrap; horizontalAlignment: Text.AlignHCenter
                        text: qsTr("Tahan kartu sampai layar berganti.")
                        font.pixelSize: root.fontSmall; color: root.muted
                    }
                    Rectangle { visible: !identify.narrow; width: parent.width; height: 2; color: "#e1e8e7" }
                    BigButton {
                        objectName: "pickupButton"
                        anchors.horizontalCenter: parent.horizontalCenter
                        width: parent.width
                        primary: false
                        text: qsTr("Ambil surat dengan struk")
                        onClicked: kiosk.openPickup()
                    }
                }
            }

            Column {
                spacing: 10
                width: 480
                Text {
                    width: parent.width; wrapMode: Text.WordWrap
                    text: qsTr("Atau masuk dengan NIK dan PIN")
                    font.pixelSize: root.fontBody + 2; font.bold: true; color: root.ink
                }
                Entry {
                    id: nik; objectName: "nikEntry"; inputName: "nikInput"; label: qsTr("NIK (16 angka)"); maxLength: 16; secret: false
                    onFilled: pin.input.forceActiveFocus()  // the keypad moves on to the PIN by itself
                }
                Entry { id: pin; objectName: "pinEntry"; inputName: "pinInput"; label: qsTr("PIN (6 angka)"); maxLength: 6; secret: true }
                Text {
                    objectName: "identifyError"
                    width: parent.width; wrapMode: Text.WordWrap
                    visible: text !== ""
                    text: root.vm.identifyError
                    color: root.danger; font.pixelSize: root.fontSmall; font.bold: true
                }
                Keypad { target: pin.focused ? pin.input : nik.input }
                BigButton {
                    objectName: "identifyButton"
                    width: 392
                    text: qsTr("Masuk")
                    onClicked: { kiosk.submitNikPin(nik.input.text, pin.input.text); pin.input.text = "" }
                }
            }
        }
    }

    component Entry: Rectangle {
        id: entry
        property string label
        property string inputName
        property int maxLength
        property bool secret
        property alias input: field
        signal filled()
        readonly property bool focused: field.activeFocus
        width: 392; height: 72; radius: 10
        color: root.card
        border.width: field.activeFocus ? 3 : 2
        border.color: field.activeFocus ? root.primary : "#b7c7c5"
        Accessible.role: Accessible.EditableText
        Accessible.name: entry.label
        Text {
            anchors { left: parent.left; leftMargin: 16; verticalCenter: parent.verticalCenter }
            visible: field.text === ""
            text: entry.label; color: "#8a979f"; font.pixelSize: root.fontBody
        }
        TextInput {
            id: field
            objectName: entry.inputName
            anchors { fill: parent; leftMargin: 16; rightMargin: 16 }
            verticalAlignment: TextInput.AlignVCenter
            font.pixelSize: 30; font.letterSpacing: 2
            color: root.ink
            maximumLength: entry.maxLength
            echoMode: entry.secret ? TextInput.Password : TextInput.Normal
            validator: RegularExpressionValidator { regularExpression: /[0-9]*/ }
            readOnly: false
            focus: !entry.secret
            onTextChanged: if (text.length === entry.maxLength) entry.filled()
        }
        MouseArea { anchors.fill: parent; onClicked: field.forceActiveFocus() }
    }
}
