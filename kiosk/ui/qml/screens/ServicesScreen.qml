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
            width: parent.width; elide: Text.ElideRight
            text: root.vm.resident ? qsTr("Selamat datang, %1").arg(root.vm.resident.name) : qsTr("Selamat datang")
            font.pixelSize: root.fontTitle; font.bold: true; color: root.ink
        }

        // Identified without the backend: said calmly, the citizen can carry on.
        Rectangle {
            objectName: "identityNote"
            width: parent.width; height: note.height + 28; radius: 12
            visible: root.vm.identityNote !== ""
            color: "#e8f1f8"
            border.color: "#b9d3e8"; border.width: 1
            Rectangle { x: 0; width: 8; height: parent.height; radius: 4; color: "#2f7fb8" }
            Text {
                id: note
                anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; leftMargin: 28; rightMargin: 20 }
                wrapMode: Text.WordWrap
                text: root.vm.identityNote
                font.pixelSize: root.fontSmall; color: "#1d3f5c"
            }
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
                    width: parent.width; height: Math.max(100, implicitHeight)
                    highlight: true
                    title: modelData.service
                    subtitle: modelData.reprint
                        ? qsTr("Nomor permohonan %1 · sudah pernah dicetak · sentuh untuk mencetak ulang").arg(modelData.trackingCode)
                        : qsTr("Nomor permohonan %1 · sentuh untuk mencetak").arg(modelData.trackingCode)
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
                    width: (content.width - root.gap) / 2; height: Math.max(150, implicitHeight)
                    title: modelData.name
                    subtitle: modelData.description
                    onClicked: kiosk.chooseService(modelData.code)
                }
            }
        }

        // The rest of this kiosk's records for the citizen, with where each one stands (the
        // printable ones are the tiles at the top). Below the services: it informs, the
        // services are what the citizen came to choose from.
        Column {
            objectName: "myRequests"
            readonly property var waiting: root.vm.myRequests.filter(function(r) { return !r.printable })
            width: parent.width
            spacing: 8
            visible: waiting.length > 0
            Text { text: qsTr("Permohonan Anda di kios ini"); font.pixelSize: root.fontBody; font.bold: true; color: root.muted }
            Repeater {
                model: parent.waiting
                Rectangle {
                    required property var modelData
                    width: parent.width; height: Math.max(line.height, chip.height) + 20; radius: 12
                    color: root.card
                    border.color: "#cfd8d7"; border.width: 1
                    Column {
                        id: line
                        anchors { left: parent.left; right: chip.left; verticalCenter: parent.verticalCenter; leftMargin: 20; rightMargin: 16 }
                        Text {
                            width: parent.width; wrapMode: Text.WordWrap
                            text: qsTr("%1 · %2").arg(modelData.service).arg(modelData.reference)
                            font.pixelSize: root.fontSmall; font.bold: true; color: root.ink
                        }
                        Text {
                            width: parent.width; wrapMode: Text.WordWrap
                            visible: text !== ""
                            text: modelData.reason
                            font.pixelSize: root.fontSmall - 2; color: root.muted
                        }
                    }
                    StatusChip {
                        id: chip
                        anchors { right: parent.right; rightMargin: 16; verticalCenter: parent.verticalCenter }
                        maxWidth: parent.width * 0.45
                        status: modelData.status
                        label: modelData.statusLabel
                    }
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
        Accessible.role: Accessible.Button
        Accessible.name: tile.title
        Accessible.description: tile.subtitle
        Accessible.onPressAction: tile.clicked()
        // Taller than its box when large text wraps the title: the box grows (see height).
        implicitHeight: tileText.implicitHeight + 40
        Column {
            id: tileText
            anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 24 }
            spacing: 8
            Text { width: parent.width; text: tile.title; wrapMode: Text.WordWrap; font.pixelSize: root.fontBody + 4; font.bold: true; color: root.ink }
            Text { width: parent.width; text: tile.subtitle; wrapMode: Text.WordWrap; font.pixelSize: root.fontSmall; color: root.muted }
        }
        MouseArea { id: area; anchors.fill: parent; onClicked: tile.clicked() }
    }
}
