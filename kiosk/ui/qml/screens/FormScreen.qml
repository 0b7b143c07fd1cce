import QtQuick
import "../components"

// The service's form. The on-screen keyboard docks at the bottom and the field being
// edited is scrolled into view above it, never under it.
Item {
    id: form
    property Item editing: null
    // The Repeater follows the number of fields only, so typing (which changes the view
    // model) never rebuilds the inputs under the citizen's fingers.
    readonly property int fieldCount: root.vm.fields.length

    function reveal(item) {
        var y = item.mapToItem(list.contentItem, 0, 0).y
        list.contentY = Math.max(0, Math.min(y - 20, list.contentHeight - list.height))
    }

    Text {
        id: title
        x: root.gap; y: 16
        // While typing, the room goes to the field being edited; the title returns on "Tutup".
        height: form.editing === null ? implicitHeight : 0
        visible: form.editing === null
        text: root.vm.service ? root.vm.service.name : ""
        font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
    }

    Flickable {
        id: list
        anchors { left: parent.left; right: parent.right; top: title.bottom; topMargin: 12; bottom: buttons.top; bottomMargin: 12 }
        contentHeight: fields.height
        clip: true
        Column {
            id: fields
            x: root.gap
            width: list.width - 2 * root.gap
            spacing: 18
            Repeater {
                model: form.fieldCount
                FieldRow { required property int index; fieldIndex: index; width: fields.width }
            }
        }
    }

    Row {
        id: buttons
        anchors { right: parent.right; rightMargin: root.gap; bottom: keyboard.visible ? keyboard.top : parent.bottom; bottomMargin: 14 }
        spacing: root.gap
        BigButton { objectName: "backButton"; primary: false; text: qsTr("Kembali"); onClicked: kiosk.back() }
        BigButton { objectName: "nextButton"; text: qsTr("Lanjut"); onClicked: kiosk.next() }
    }

    Keyboard {
        id: keyboard
        objectName: "keyboard"
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
        visible: form.editing !== null
        target: form.editing
        onClosed: { form.editing.focus = false; form.editing = null }
    }

    component FieldRow: Column {
        id: row
        property int fieldIndex
        readonly property var field: root.vm.fields[fieldIndex] || ({})
        spacing: 6

        Text {
            text: (row.field.label || "") + (row.field.required ? "" : qsTr(" (boleh kosong)"))
            font.pixelSize: root.fontBody; font.bold: true; color: root.ink
        }
        Rectangle {
            visible: row.field.kind !== "choice"
            width: row.width; height: row.field.multiline ? 112 : 68; radius: 10
            color: root.card
            border.width: input.activeFocus ? 3 : 2
            border.color: row.field.error ? root.danger : (input.activeFocus ? root.primary : "#b7c7c5")
            TextInput {
                id: input
                objectName: "field-" + (row.field.name || "")
                anchors { fill: parent; margins: 14 }
                font.pixelSize: root.fontBody + 2
                color: root.ink
                wrapMode: row.field.multiline ? TextInput.Wrap : TextInput.NoWrap
                maximumLength: row.field.maxLength || 200
                clip: true
                Component.onCompleted: text = row.field.value || ""
                onTextChanged: if (row.field.name && text !== row.field.value) kiosk.setField(row.field.name, text)
                onActiveFocusChanged: if (activeFocus) { form.editing = input; form.reveal(row) }
            }
            MouseArea { anchors.fill: parent; onClicked: input.forceActiveFocus() }
        }
        Flow {
            visible: row.field.kind === "choice"
            width: row.width
            spacing: 12
            Repeater {
                model: row.field.choices || []
                BigButton {
                    required property var modelData
                    objectName: "choice-" + row.field.name + "-" + modelData.value
                    height: 72
                    primary: row.field.value === modelData.value
                    text: modelData.label
                    onClicked: { form.editing = null; kiosk.setField(row.field.name, modelData.value) }
                }
            }
        }
        Text {
            visible: text !== ""
            text: row.field.error ? "⚠ " + row.field.error : (row.field.help || "")
            color: row.field.error ? root.danger : root.muted
            font.pixelSize: root.fontSmall; font.bold: row.field.error !== ""
        }
    }
}
