import QtQuick

// The technician screens: a bar with the way out, the sections on the left, the chosen
// section on the right.
Item {
    id: techConsole
    objectName: "techConsole"
    readonly property var files: ({
        devices: "sections/DevicesSection.qml", prints: "sections/PrintsSection.qml",
        card: "sections/CardSection.qml", backend: "sections/BackendSection.qml",
        outbox: "sections/OutboxSection.qml", logs: "sections/LogsSection.qml",
        config: "sections/ConfigSection.qml", system: "sections/SystemSection.qml"
    })

    Rectangle {
        id: bar
        anchors { left: parent.left; right: parent.right; top: parent.top }
        height: 88
        color: "#263238"
        Text {
            anchors { left: parent.left; leftMargin: 24; verticalCenter: parent.verticalCenter }
            text: "Technician mode"
            color: "white"; font.pixelSize: 28; font.bold: true
        }
        Text {
            objectName: "techIdleWarning"
            anchors { right: leave.left; rightMargin: 24; verticalCenter: parent.verticalCenter }
            visible: techRoot.tv.idleLeft >= 0
            text: "Closes in " + techRoot.tv.idleLeft + " s unless touched"
            color: "#ffd54f"; font.pixelSize: 20; font.bold: true
        }
        TechButton {
            id: leave
            objectName: "techLeave"
            anchors { right: parent.right; rightMargin: 16; verticalCenter: parent.verticalCenter }
            width: 220
            primary: true
            text: "Leave"
            onClicked: techRoot.tech.leave()
        }
    }

    Column {
        id: nav
        objectName: "techSections"
        anchors { left: parent.left; top: bar.bottom; margins: 16 }
        width: 250
        spacing: 10
        Repeater {
            model: techRoot.tv.sections
            TechButton {
                required property var modelData
                objectName: "techSection-" + modelData.key
                width: nav.width
                selected: techRoot.tv.section === modelData.key
                text: modelData.title
                onClicked: techRoot.tech.show(modelData.key)
            }
        }
    }

    Text {
        id: notice
        objectName: "techNotice"
        anchors { left: nav.right; right: parent.right; top: bar.bottom; margins: 16 }
        visible: techRoot.tv.notice !== ""
        wrapMode: Text.WordWrap
        text: techRoot.tv.notice
        color: "#0b6e69"; font.pixelSize: 20; font.bold: true
    }

    Loader {
        objectName: "techSection"
        anchors {
            left: nav.right; right: parent.right; bottom: parent.bottom
            top: notice.visible ? notice.bottom : bar.bottom
            leftMargin: 16; rightMargin: 16; bottomMargin: 16; topMargin: 16
        }
        source: techConsole.files[techRoot.tv.section] || ""
    }
}
