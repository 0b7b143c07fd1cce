import QtQuick
import ".."

// The kiosk log's last lines (personal numbers are masked in the log itself).
SectionFrame {
    objectName: "techLogs"
    title: "Recent logs"
    hint: techRoot.tv.logs.length + " most recent lines of the kiosk log, newest first."
    actions: TechButton {
        objectName: "techRefreshLogs"
        enabled: !techRoot.running("logs")
        text: techRoot.running("logs") ? "Reading…" : "Refresh"
        onClicked: techRoot.tech.refreshLogs()
    }
    Repeater {
        model: techRoot.tv.logs
        Text {
            required property string modelData
            width: parent.width
            wrapMode: Text.WrapAnywhere
            text: modelData
            font.pixelSize: 15; font.family: "monospace"; color: "#17212b"
        }
    }
}
