import QtQuick

// The confirmation step before anything that cannot be undone (discarding a dead letter,
// restarting the app). The question and the action come from Python.
Rectangle {
    id: confirm
    objectName: "techConfirm"
    color: "#99000000"
    readonly property var asked: techRoot.tv.confirm || ({})

    MouseArea { objectName: "techBlocker"; anchors.fill: parent }

    Rectangle {
        anchors.centerIn: parent
        width: 760
        height: body.height + 64
        radius: 16
        color: "white"
        Column {
            id: body
            x: 32; y: 32
            width: parent.width - 64
            spacing: 24
            Text {
                objectName: "techConfirmQuestion"
                width: parent.width; wrapMode: Text.WordWrap
                text: confirm.asked.question || ""
                font.pixelSize: 24; color: "#17212b"
            }
            Row {
                spacing: 24
                TechButton {
                    objectName: "techConfirmNo"
                    width: 260
                    text: "Cancel"
                    onClicked: techRoot.tech.dismissConfirm()
                }
                TechButton {
                    objectName: "techConfirmYes"
                    width: 260
                    danger: true
                    text: confirm.asked.yes || "OK"
                    onClicked: techRoot.tech.confirm()
                }
            }
        }
    }
}
