import QtQuick
import ".."

// Each device: its status, capabilities and health, as the running kiosk sees them.
SectionFrame {
    objectName: "techDevices"
    title: "Devices"
    hint: techRoot.running("devices") ? "Asking each device…" : "Status, capabilities and health of each device."
    actions: TechButton {
        objectName: "techRefreshDevices"
        text: techRoot.running("devices") ? "Checking…" : "Refresh"
        enabled: !techRoot.running("devices")
        onClicked: techRoot.tech.refreshDevices()
    }
    Repeater {
        model: techRoot.tv.devices
        CheckCard {
            required property var modelData
            objectName: "techDevice-" + modelData.role
            check: modelData
            title: modelData.role + (modelData.type ? "  ·  " + modelData.type : "")
        }
    }
}
