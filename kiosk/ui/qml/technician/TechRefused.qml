import QtQuick

// Technician mode cannot open now (a citizen is being served): said briefly, then gone.
Item {
    objectName: "techRefused"
    Rectangle {
        anchors.centerIn: parent
        width: 760
        height: body.height + 64
        radius: 16
        color: "white"
        border.color: "#cfd8dc"
        Column {
            id: body
            x: 32; y: 32
            width: parent.width - 64
            spacing: 20
            Text {
                text: "Technician mode not available now"
                font.pixelSize: 30; font.bold: true; color: "#17212b"
            }
            Text {
                objectName: "techRefusedMessage"
                width: parent.width; wrapMode: Text.WordWrap
                text: techRoot.tv.message
                font.pixelSize: 22; color: "#17212b"
            }
            TechButton {
                objectName: "techRefusedOk"
                width: 260
                primary: true
                text: "OK"
                onClicked: techRoot.tech.cancel()
            }
        }
    }
}
