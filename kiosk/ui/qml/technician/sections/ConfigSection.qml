import QtQuick
import ".."

// The configuration in effect, as loaded (defaults included), its secrets masked.
SectionFrame {
    objectName: "techConfig"
    title: "Configuration"
    hint: "In effect now, defaults included; tokens and the PIN hash are masked."
    actions: TechButton {
        objectName: "techRefreshConfig"
        enabled: !techRoot.running("config")
        text: "Refresh"
        onClicked: techRoot.tech.refreshConfig()
    }
    Text {
        objectName: "techConfigText"
        width: parent.width
        wrapMode: Text.WrapAnywhere
        text: techRoot.tv.config
        font.pixelSize: 16; font.family: "monospace"; color: "#17212b"
    }
}
