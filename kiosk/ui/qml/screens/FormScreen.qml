import QtQuick
import "../components"

// The service's form. The on-screen keyboard docks at the bottom and the field being
// edited is scrolled into view above it, never under it.
Item {
    id: form
    property Item editing: null
    property Item editingRow: null
    property string editingKind: "text"
    // The Repeater follows the number of fields only, so typing (which changes the view
    // model) never rebuilds the inputs under the citizen's fingers.
    readonly property int fieldCount: root.vm.fields.length

    function startEditing(input, row) {
        editing = input
        editingRow = row
        editingKind = row.field.kind || "text"
        // After the keyboard has taken its place and the list has shrunk.
        Qt.callLater(reveal)
    }

    function stopEditing() {
        if (editing) editing.focus = false
        editing = null
        editingRow = null
        Qt.callLater(list.returnToBounds)  // the room added for typing is gone
    }

    // The row being edited goes to the top of the list, whole, right above nothing else
    // of the form that could be mistaken for it.
    function reveal() {
        if (!editingRow) return
        var y = editingRow.mapToItem(list.contentItem, 0, 0).y
        list.contentY = Math.max(0, Math.min(y, list.contentHeight - list.height))
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
        anchors {
            left: parent.left; top: title.bottom; topMargin: 12
            // With the keyboard open the buttons move to the right, so the fields keep
            // every row of height that is left above the keyboard.
            right: form.editing === null ? parent.right : buttons.left
            bottom: form.editing === null ? buttons.top : keyboard.top
            bottomMargin: 12
        }
        // While typing, room below the last field lets any row scroll up to the top.
        contentHeight: fields.height + (form.editing === null ? 0 : list.height)
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

    Grid {
        id: buttons
        anchors { right: parent.right; rightMargin: root.gap; bottom: keyboard.visible ? keyboard.top : parent.bottom; bottomMargin: 14 }
        columns: form.editing === null ? 2 : 1
        spacing: form.editing === null ? root.gap : 12
        BigButton { objectName: "backButton"; primary: false; text: qsTr("Kembali"); onClicked: kiosk.back() }
        BigButton { objectName: "nextButton"; text: qsTr("Lanjut"); onClicked: kiosk.next() }
    }

    Keyboard {
        id: keyboard
        objectName: "keyboard"
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
        visible: form.editing !== null
        target: form.editing
        numeric: form.editingKind === "number" || form.editingKind === "date"
        dash: form.editingKind === "date"
        onClosed: form.stopEditing()
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
            Accessible.role: Accessible.EditableText
            Accessible.name: row.field.label || ""
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
                onActiveFocusChanged: if (activeFocus) form.startEditing(input, row)
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
                    onClicked: { form.stopEditing(); kiosk.setField(row.field.name, modelData.value) }
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
