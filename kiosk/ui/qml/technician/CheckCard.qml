import QtQuick

// One finding of the diagnostics: its level, its one line, and its details.
Rectangle {
    id: card
    property var check: null
    property string title: check ? check.name : ""
    width: parent ? parent.width : 600
    height: body.height + 32
    radius: 10
    color: "white"
    border.color: "#cfd8dc"; border.width: 1
    visible: check !== null && check !== undefined

    Column {
        id: body
        x: 16; y: 16
        width: card.width - 32
        spacing: 6
        Row {
            spacing: 12
            LevelMark { level: card.check ? card.check.level : "skipped"; anchors.verticalCenter: parent.verticalCenter }
            Text {
                anchors.verticalCenter: parent.verticalCenter
                text: card.title
                font.pixelSize: 20; font.bold: true; color: "#17212b"
            }
        }
        Text {
            width: parent.width
            wrapMode: Text.Wrap
            text: card.check ? card.check.summary : ""
            font.pixelSize: 19; color: "#17212b"
        }
        Repeater {
            model: card.check ? card.check.lines : []
            Text {
                required property string modelData
                width: body.width
                wrapMode: Text.Wrap
                text: modelData
                font.pixelSize: 17; color: "#37474f"
            }
        }
    }
}
