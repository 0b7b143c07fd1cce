import QtQuick
import "../components"

// Letters ready to print first, then the services this kiosk offers.
Flickable {
    contentHeight: content.height + 2 * root.gap
    clip: true

    Column {
        id: content
        x: root.gap; y: root.gap
        width: parent.width - 2 * root.gap
        spacing: root.gap

        Text {
            text: root.vm.resident ? qsTr("Selamat datang, %1").arg(root.vm.resident.name) : ""
            font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
        }

        Column {
            width: parent.width
            spacing: 12
            visible: root.vm.readyRequests.length > 0
            Text { text: qsTr("Surat siap dicetak"); font.pixelSize: root.fontBody; font.bold: true; color: root.primary }
            Repeater {
                model: root.vm.readyRequests
                Tile {
                    required property var modelData
                    objectName: "ready-" + modelData.id
                    width: parent.width; height: 100
                    highlight: true
                    title: modelData.service
                    subtitle: qsTr("Nomor permohonan %1 · sentuh untuk mencetak").arg(modelData.trackingCode)
                    onClicked: kiosk.printReady(modelData.id)
                }
            }
        }

        Text { text: qsTr("Pilih layanan"); font.pixelSize: root.fontBody; font.bold: true; color: root.muted }
        Grid {
            columns: 2
            spacing: root.gap
            Repeater {
                model: root.vm.services
                Tile {
                    required property var modelData
                    objectName: "service-" + modelData.code
                    width: (content.width - root.gap) / 2; height: 150
                    title: modelData.name
                    subtitle: modelData.description
                    onClicked: kiosk.chooseService(modelData.code)
                }
            }
        }
    }

    component Tile: Rectangle {
        id: tile
        property string title
        property string subtitle
        property bool highlight: false
        signal clicked()
        radius: 16
        color: area.pressed ? "#dfeeed" : (highlight ? "#e3f4ef" : root.card)
        border.width: highlight ? 3 : 1
        border.color: highlight ? root.primary : "#cfd8d7"
        Column {
            anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 24 }
            spacing: 8
            Text { width: parent.width; text: tile.title; wrapMode: Text.WordWrap; font.pixelSize: root.fontBody + 4; font.bold: true; color: root.ink }
            Text { width: parent.width; text: tile.subtitle; wrapMode: Text.WordWrap; font.pixelSize: root.fontSmall; color: root.muted }
        }
        MouseArea { id: area; anchors.fill: parent; onClicked: tile.clicked() }
    }
}
