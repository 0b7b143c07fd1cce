import QtQuick
import ".."

// The software's version, where it runs, and restarting the app (after a confirmation).
SectionFrame {
    id: section
    objectName: "techSystem"
    title: "Version & restart"
    readonly property var about: techRoot.tv.about || ({})
    actions: TechButton {
        objectName: "techRestart"
        danger: true
        enabled: !techRoot.running("restart")
        text: "Restart the app"
        onClicked: techRoot.tech.askRestart()
    }
    Text {
        objectName: "techVersion"
        text: "APM Kiosk " + (section.about.version || "…")
        font.pixelSize: 36; font.bold: true; color: "#17212b"
    }
    Text {
        width: parent.width; wrapMode: Text.Wrap
        visible: section.about.python !== undefined
        text: "Python " + section.about.python + "  ·  " + section.about.platform
        font.pixelSize: 19; color: "#37474f"
    }
    CheckCard {
        check: section.about.app || null
        title: "The kiosk application"
    }
    Text {
        width: parent.width; wrapMode: Text.Wrap
        text: "Restarting closes the devices and starts the kiosk again (systemd brings it back). "
              + "Queued requests and letters are kept on disk."
        font.pixelSize: 18; color: "#55636f"
    }
}
