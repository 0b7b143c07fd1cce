import QtQuick
import ".."

// A section: its title and action buttons on top, its content below, scrolled when long.
Item {
    id: frame
    property string title
    property string hint: ""
    default property alias content: body.data
    property alias actions: buttons.data
    property alias flick: flick

    Text {
        id: heading
        anchors { left: parent.left; top: parent.top; right: buttons.left; rightMargin: 16 }
        height: 72
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
        text: frame.title
        font.pixelSize: 28; font.bold: true; color: "#17212b"
    }
    Row {
        id: buttons
        anchors { right: parent.right; top: parent.top }
        spacing: 12
    }
    Text {
        id: hintText
        anchors { left: parent.left; right: parent.right; top: heading.bottom }
        visible: frame.hint !== ""
        height: visible ? implicitHeight + 8 : 0
        wrapMode: Text.WordWrap
        text: frame.hint
        font.pixelSize: 18; color: "#55636f"
    }
    Flickable {
        id: flick
        anchors { left: parent.left; right: parent.right; top: hintText.bottom; bottom: parent.bottom; topMargin: 8 }
        clip: true
        contentWidth: width
        contentHeight: body.height
        boundsBehavior: Flickable.StopAtBounds
        Column {
            id: body
            width: flick.width
            spacing: 12
        }
    }
}
